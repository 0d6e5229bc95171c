package local

import (
	"context"
	"io"
)

func cmdInvoke(ctx context.Context, args []string, out io.Writer) error { return nil }
