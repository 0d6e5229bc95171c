package mangopay

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// ListOptions selects a page of a list and filters it. Filters are sent as
// query parameters (e.g. "Status": "SUCCEEDED,FAILED").
type ListOptions struct {
	Page    int
	PerPage int
	// Sort is e.g. "CreationDate:DESC".
	Sort    string
	Filters map[string]string
}

func (o *ListOptions) query() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	if o.Sort != "" {
		q.Set("Sort", o.Sort)
	}
	for k, v := range o.Filters {
		q.Set(k, v)
	}
	return q
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T
	TotalItems int
	TotalPages int
}

// list fetches one page of a list endpoint; callOpts adjust the call
// (e.g. WithScaContext).
func list[T any](ctx context.Context, c *Client, path string, opts *ListOptions, callOpts ...CallOption) (*Page[T], error) {
	var items []T
	resp, err := c.call(ctx, http.MethodGet, path, opts.query(), nil, &items, callOpts)
	if err != nil {
		return nil, err
	}
	return &Page[T]{Items: items, TotalItems: resp.TotalItems, TotalPages: resp.TotalPages}, nil
}
