package records

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names used as keys of the table or its indexes. This file is
// the one definition of the table: CreateTableInput, VerifyTable, the tests
// and template.yaml (checked by a test) all follow Schema.
const (
	// AttrPK is the table's hash key: a record id, or "idem#..." and
	// "hook#..." for idempotency entries and hook notifications.
	AttrPK = "pk"
	// AttrMangopayID holds the Mangopay id once known (sparse).
	AttrMangopayID = "mp_id"
	// AttrOwner holds the owner's external user id (a page's document id).
	AttrOwner = "owner"
	// AttrOwnerSort is "<KIND>#<created, fixed width>#<id>", so that one
	// owner's (or one parent's) records of one kind come back in creation
	// order.
	AttrOwnerSort = "owner_sort"
	// AttrParent holds the record's ParentID for the kinds listed by
	// parent (refunds under their transaction, documents under their
	// user; see parentKey): the sparse index by_parent.
	AttrParent = "parent"
	// AttrRecheckBucket is "DOCUMENT", "TRANSACTION", "PENDING" or "OTHER", present
	// only while the record needs polling (sparse index).
	AttrRecheckBucket = "recheck_bucket"
	// AttrRecheckAt is when the next check is due, epoch seconds (sparse).
	AttrRecheckAt = "recheck_at"
	// AttrExpiresAt is the TTL attribute, epoch seconds.
	AttrExpiresAt = "expires_at"
)

// Index names.
const (
	// IndexByMangopayID finds a record by its Mangopay id.
	IndexByMangopayID = "by_mangopay_id"
	// IndexByOwner lists one owner's records by kind, in creation order.
	IndexByOwner = "by_owner"
	// IndexByRecheck holds the records due for polling, by bucket.
	IndexByRecheck = "by_recheck"
	// IndexByParent lists the records of one parent (ParentID) by kind,
	// in creation order: a transaction's refunds, a user's documents.
	IndexByParent = "by_parent"
)

// IndexSchema describes one global secondary index.
type IndexSchema struct {
	Name       string
	HashKey    string
	RangeKey   string // "" when the index has no sort key
	Projection types.ProjectionType
}

// TableSchema describes the table: every key attribute with its scalar
// type, the primary key, the global secondary indexes and the TTL
// attribute.
type TableSchema struct {
	Attributes   map[string]types.ScalarAttributeType
	HashKey      string
	RangeKey     string // "" when the table has no sort key
	Indexes      []IndexSchema
	TTLAttribute string
	BillingMode  types.BillingMode
}

// Schema is the table's definition.
var Schema = TableSchema{
	Attributes: map[string]types.ScalarAttributeType{
		AttrPK:            types.ScalarAttributeTypeS,
		AttrMangopayID:    types.ScalarAttributeTypeS,
		AttrOwner:         types.ScalarAttributeTypeS,
		AttrOwnerSort:     types.ScalarAttributeTypeS,
		AttrParent:        types.ScalarAttributeTypeS,
		AttrRecheckBucket: types.ScalarAttributeTypeS,
		AttrRecheckAt:     types.ScalarAttributeTypeN,
	},
	HashKey: AttrPK,
	Indexes: []IndexSchema{
		{Name: IndexByMangopayID, HashKey: AttrMangopayID, Projection: types.ProjectionTypeAll},
		{Name: IndexByOwner, HashKey: AttrOwner, RangeKey: AttrOwnerSort, Projection: types.ProjectionTypeAll},
		{Name: IndexByRecheck, HashKey: AttrRecheckBucket, RangeKey: AttrRecheckAt, Projection: types.ProjectionTypeAll},
		{Name: IndexByParent, HashKey: AttrParent, RangeKey: AttrOwnerSort, Projection: types.ProjectionTypeAll},
	},
	TTLAttribute: AttrExpiresAt,
	BillingMode:  types.BillingModePayPerRequest,
}

// CreateTableInput returns the CreateTable request for a table named name
// following Schema. TTL is a separate call: see EnsureTable.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: Schema.BillingMode,
		KeySchema:   keySchema(Schema.HashKey, Schema.RangeKey),
		SSESpecification: &types.SSESpecification{
			Enabled: aws.Bool(true),
		},
	}
	for _, n := range sortedKeys(Schema.Attributes) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(n), AttributeType: Schema.Attributes[n],
		})
	}
	for _, ix := range Schema.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.HashKey, ix.RangeKey),
			Projection: &types.Projection{ProjectionType: ix.Projection},
		})
	}
	return in
}

func keySchema(hash, rng string) []types.KeySchemaElement {
	ks := []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}
	if rng != "" {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange})
	}
	return ks
}
