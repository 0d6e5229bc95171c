package local

import (
	"context"
	"io"
)

type DemoReport struct{ Mismatches []string }

func RunDemo(ctx context.Context, s *Stack, out io.Writer) (DemoReport, error) { return DemoReport{}, nil }
func cmdInvoke(ctx context.Context, args []string, out io.Writer) error   { return nil }
