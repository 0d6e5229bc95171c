// Command reliability-report assembles RELIABILITY.md from the fragments
// the reliability suite wrote (make chaos): reliability-report -dir DIR -out FILE.
package main

import (
	"bytes"
	"flag"
	"log"
	"os"
	"time"

	"github.com/lambda-mangopay/lambda-mangopay/internal/chaos"
)

func main() {
	dir := flag.String("dir", "build/chaos", "directory of the scenario fragments (NN-name.md)")
	out := flag.String("out", "RELIABILITY.md", "file to write")
	flag.Parse()
	var b bytes.Buffer
	if err := chaos.Assemble(&b, *dir, chaos.ThisMachine(time.Now())); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
