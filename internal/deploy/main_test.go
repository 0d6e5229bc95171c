package deploy

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lambda-mangopay/lambda-mangopay/internal/awstest"
)

// The events test runs the functions against moto_server.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// root is the repository, from this package's directory.
var root = filepath.Join("..", "..")

var (
	tplOnce sync.Once
	tpl     *Template
	tplErr  error
)

// template reads template.yaml once per test binary.
func template(t *testing.T) *Template {
	t.Helper()
	tplOnce.Do(func() { tpl, tplErr = ReadTemplate(filepath.Join(root, "template.yaml")) })
	if tplErr != nil {
		t.Fatal(tplErr)
	}
	return tpl
}

// folders lists functions/ (folders with a main.go).
func folders(t *testing.T) []string {
	t.Helper()
	f, err := FunctionFolders(root)
	if err != nil || len(f) == 0 {
		t.Fatalf("functions/: %v %v", f, err)
	}
	return f
}

// eventFiles lists events/*.json.
func eventFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
