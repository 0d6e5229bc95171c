package records

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EnsureTable creates the table named name following Schema if it does not
// exist, waits until it is active and enables TTL on Schema.TTLAttribute.
// It is meant for tests and local tooling; deployed tables come from
// template.yaml.
func EnsureTable(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.CreateTable(ctx, CreateTableInput(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("records: create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("records: wait for table %s: %w", name, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(Schema.TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("records: enable TTL on %s: %w", name, err)
	}
	return nil
}

// VerifyTable describes the live table named name and returns an error
// listing every difference from Schema (keys, indexes, TTL attribute).
func VerifyTable(ctx context.Context, client *dynamodb.Client, name string) error {
	got, err := DescribeLive(ctx, client, name)
	if err != nil {
		return err
	}
	if diff := Schema.Diff(got); len(diff) > 0 {
		return fmt.Errorf("records: table %s differs from the schema: %v", name, diff)
	}
	return nil
}

// DescribeLive reads the definition of a live table as a TableSchema.
func DescribeLive(ctx context.Context, client *dynamodb.Client, name string) (TableSchema, error) {
	dt, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return TableSchema{}, fmt.Errorf("records: describe table %s: %w", name, err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return TableSchema{}, fmt.Errorf("records: describe TTL of %s: %w", name, err)
	}
	return fromDescription(dt.Table, ttl.TimeToLiveDescription), nil
}

func fromDescription(t *types.TableDescription, ttl *types.TimeToLiveDescription) TableSchema {
	s := TableSchema{Attributes: map[string]types.ScalarAttributeType{}}
	for _, a := range t.AttributeDefinitions {
		s.Attributes[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	s.HashKey, s.RangeKey = splitKeys(t.KeySchema)
	for _, g := range t.GlobalSecondaryIndexes {
		ix := IndexSchema{Name: aws.ToString(g.IndexName)}
		ix.HashKey, ix.RangeKey = splitKeys(g.KeySchema)
		if g.Projection != nil {
			ix.Projection = g.Projection.ProjectionType
		}
		s.Indexes = append(s.Indexes, ix)
	}
	if t.BillingModeSummary != nil {
		s.BillingMode = t.BillingModeSummary.BillingMode
	}
	if ttl != nil && ttl.TimeToLiveStatus != types.TimeToLiveStatusDisabled {
		s.TTLAttribute = aws.ToString(ttl.AttributeName)
	}
	return s
}

func splitKeys(ks []types.KeySchemaElement) (hash, rng string) {
	for _, k := range ks {
		if k.KeyType == types.KeyTypeHash {
			hash = aws.ToString(k.AttributeName)
		} else {
			rng = aws.ToString(k.AttributeName)
		}
	}
	return hash, rng
}

// Diff lists the differences between s and other, one sentence each; nil
// when they describe the same table. An empty BillingMode in other (not
// reported by every source) is not a difference.
func (s TableSchema) Diff(other TableSchema) []string {
	var d []string
	d = append(d, diffAttributes(s.Attributes, other.Attributes)...)
	if s.HashKey != other.HashKey || s.RangeKey != other.RangeKey {
		d = append(d, fmt.Sprintf("primary key is %q/%q, want %q/%q", other.HashKey, other.RangeKey, s.HashKey, s.RangeKey))
	}
	d = append(d, diffIndexes(s.Indexes, other.Indexes)...)
	if s.TTLAttribute != other.TTLAttribute {
		d = append(d, fmt.Sprintf("TTL attribute is %q, want %q", other.TTLAttribute, s.TTLAttribute))
	}
	if other.BillingMode != "" && s.BillingMode != other.BillingMode {
		d = append(d, fmt.Sprintf("billing mode is %q, want %q", other.BillingMode, s.BillingMode))
	}
	return d
}

func diffAttributes(want, got map[string]types.ScalarAttributeType) []string {
	var d []string
	for _, n := range sortedKeys(want) {
		if g, ok := got[n]; !ok {
			d = append(d, fmt.Sprintf("attribute %s is not defined", n))
		} else if g != want[n] {
			d = append(d, fmt.Sprintf("attribute %s has type %s, want %s", n, g, want[n]))
		}
	}
	for _, n := range sortedKeys(got) {
		if _, ok := want[n]; !ok {
			d = append(d, fmt.Sprintf("attribute %s is defined but not in the schema", n))
		}
	}
	return d
}

func diffIndexes(want, got []IndexSchema) []string {
	var d []string
	byName := map[string]IndexSchema{}
	for _, ix := range got {
		byName[ix.Name] = ix
	}
	for _, w := range want {
		g, ok := byName[w.Name]
		switch {
		case !ok:
			d = append(d, fmt.Sprintf("index %s is missing", w.Name))
		case g != w:
			d = append(d, fmt.Sprintf("index %s is %+v, want %+v", w.Name, g, w))
		}
		delete(byName, w.Name)
	}
	for _, n := range sortedKeys(byName) {
		d = append(d, fmt.Sprintf("index %s is not in the schema", n))
	}
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
