package records

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"
)

const templatePath = "../../template.yaml"

// cfnTable is the part of an AWS::DynamoDB::Table resource compared with
// Schema.
type cfnTable struct {
	Type       string `yaml:"Type"`
	Properties struct {
		BillingMode          string `yaml:"BillingMode"`
		AttributeDefinitions []struct {
			AttributeName string `yaml:"AttributeName"`
			AttributeType string `yaml:"AttributeType"`
		} `yaml:"AttributeDefinitions"`
		KeySchema              []cfnKey `yaml:"KeySchema"`
		GlobalSecondaryIndexes []struct {
			IndexName  string   `yaml:"IndexName"`
			KeySchema  []cfnKey `yaml:"KeySchema"`
			Projection struct {
				ProjectionType string `yaml:"ProjectionType"`
			} `yaml:"Projection"`
		} `yaml:"GlobalSecondaryIndexes"`
		TimeToLiveSpecification struct {
			AttributeName string `yaml:"AttributeName"`
			Enabled       bool   `yaml:"Enabled"`
		} `yaml:"TimeToLiveSpecification"`
		PointInTimeRecoverySpecification struct {
			Enabled bool `yaml:"PointInTimeRecoveryEnabled"`
		} `yaml:"PointInTimeRecoverySpecification"`
		DeletionProtectionEnabled bool `yaml:"DeletionProtectionEnabled"`
		SSESpecification          struct {
			Enabled bool `yaml:"SSEEnabled"`
		} `yaml:"SSESpecification"`
	} `yaml:"Properties"`
}

type cfnKey struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// readTemplateTables returns the template's DynamoDB tables by logical id.
// CloudFormation's short-form tags (!Ref, !GetAtt, !Sub...) are dropped so
// that the YAML decodes as plain data.
func readTemplateTables(t *testing.T) map[string]cfnTable {
	t.Helper()
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	dropCustomTags(&root)
	var tpl struct {
		Resources map[string]yaml.Node `yaml:"Resources"`
	}
	if err := root.Decode(&tpl); err != nil {
		t.Fatal(err)
	}
	tables := map[string]cfnTable{}
	for id, n := range tpl.Resources {
		var tb cfnTable
		if err := n.Decode(&tb); err != nil {
			t.Fatalf("resource %s: %v", id, err)
		}
		if tb.Type == "AWS::DynamoDB::Table" {
			tables[id] = tb
		}
	}
	return tables
}

func dropCustomTags(n *yaml.Node) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		n.Tag = ""
	}
	for _, c := range n.Content {
		dropCustomTags(c)
	}
}

func (tb cfnTable) schema() TableSchema {
	p := tb.Properties
	s := TableSchema{Attributes: map[string]types.ScalarAttributeType{}, BillingMode: types.BillingMode(p.BillingMode)}
	for _, a := range p.AttributeDefinitions {
		s.Attributes[a.AttributeName] = types.ScalarAttributeType(a.AttributeType)
	}
	s.HashKey, s.RangeKey = cfnKeys(p.KeySchema)
	for _, g := range p.GlobalSecondaryIndexes {
		ix := IndexSchema{Name: g.IndexName, Projection: types.ProjectionType(g.Projection.ProjectionType)}
		ix.HashKey, ix.RangeKey = cfnKeys(g.KeySchema)
		s.Indexes = append(s.Indexes, ix)
	}
	if p.TimeToLiveSpecification.Enabled {
		s.TTLAttribute = p.TimeToLiveSpecification.AttributeName
	}
	return s
}

func cfnKeys(ks []cfnKey) (hash, rng string) {
	for _, k := range ks {
		switch k.KeyType {
		case "HASH":
			hash = k.AttributeName
		case "RANGE":
			rng = k.AttributeName
		}
	}
	return hash, rng
}

func TestTemplateTableMatchesSchema(t *testing.T) {
	tables := readTemplateTables(t)
	if len(tables) != 1 {
		t.Fatalf("template.yaml has %d DynamoDB tables, want exactly 1 (single-table design)", len(tables))
	}
	for id, tb := range tables {
		got := tb.schema()
		if got.BillingMode == "" {
			t.Errorf("%s: BillingMode not set", id)
		}
		for _, d := range Schema.Diff(got) {
			t.Errorf("template.yaml %s: %s", id, d)
		}
		p := tb.Properties
		if !p.PointInTimeRecoverySpecification.Enabled || !p.DeletionProtectionEnabled || !p.SSESpecification.Enabled {
			t.Errorf("%s: point-in-time recovery, deletion protection and SSE must all be enabled", id)
		}
	}
}

// TestSchemaDiffCatchesDrift makes sure the comparison the template test
// relies on does see each kind of change.
func TestSchemaDiffCatchesDrift(t *testing.T) {
	mutations := map[string]func(*TableSchema){
		"attribute type":   func(s *TableSchema) { s.Attributes[AttrRecheckAt] = types.ScalarAttributeTypeS },
		"extra attribute":  func(s *TableSchema) { s.Attributes["x"] = types.ScalarAttributeTypeS },
		"missing index":    func(s *TableSchema) { s.Indexes = s.Indexes[1:] },
		"index range key":  func(s *TableSchema) { s.Indexes[1].RangeKey = "created" },
		"index projection": func(s *TableSchema) { s.Indexes[2].Projection = types.ProjectionTypeKeysOnly },
		"table range key":  func(s *TableSchema) { s.RangeKey = "sk" },
		"TTL attribute":    func(s *TableSchema) { s.TTLAttribute = "ttl" },
		"billing mode":     func(s *TableSchema) { s.BillingMode = types.BillingModeProvisioned },
	}
	for name, mutate := range mutations {
		s := cloneSchema(Schema)
		mutate(&s)
		if len(Schema.Diff(s)) == 0 {
			t.Errorf("Diff missed a change of %s", name)
		}
	}
	if d := Schema.Diff(cloneSchema(Schema)); len(d) != 0 {
		t.Errorf("Diff of the schema with itself: %v", d)
	}
}

func cloneSchema(s TableSchema) TableSchema {
	c := s
	c.Attributes = map[string]types.ScalarAttributeType{}
	for k, v := range s.Attributes {
		c.Attributes[k] = v
	}
	c.Indexes = append([]IndexSchema(nil), s.Indexes...)
	return c
}

// TestLiveTableMatchesSchema checks the table EnsureTable creates (what
// tests and local tooling use) against Schema, through DescribeTable.
func TestLiveTableMatchesSchema(t *testing.T) {
	f := newFixture(t)
	if err := VerifyTable(f.ctx, f.db, testTable); err != nil {
		t.Fatal(err)
	}
}
