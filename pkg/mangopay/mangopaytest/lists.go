package mangopaytest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// listOpts are the common list query parameters.
type listOpts struct {
	page, perPage int
	desc          bool
	before, after *int64
	c             *call
}

// parseList reads page, per_page, Sort, BeforeDate and AfterDate. Errors are
// 400 param_error (per_page above 100 included).
func (s *Server) parseList(c *call) (*listOpts, *reply) {
	o := &listOpts{page: 1, perPage: 10, desc: true, c: c}
	errs := fieldErrs{}
	if v, ok := c.q1("page"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs.add("page", "The page parameter must be an integer greater than or equal to 1.")
		}
		o.page = n
	}
	if v, ok := c.q1("per_page"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs.add("per_page", "The per_page parameter must be an integer between 1 and 100.")
		}
		o.perPage = n
	}
	if v, ok := c.q1("Sort"); ok {
		field, dir, _ := strings.Cut(v, ":")
		switch {
		case !strings.EqualFold(field, "CreationDate") && !strings.EqualFold(field, "Date"):
			errs.add("Sort", "The Sort parameter must be CreationDate:ASC or CreationDate:DESC.")
		case strings.EqualFold(dir, "ASC"):
			o.desc = false
		case !strings.EqualFold(dir, "DESC"):
			errs.add("Sort", "The Sort parameter must be CreationDate:ASC or CreationDate:DESC.")
		}
	}
	o.before = parseDateParam(c, errs, "BeforeDate")
	o.after = parseDateParam(c, errs, "AfterDate")
	if len(errs) > 0 {
		return nil, s.st.paramError(errs)
	}
	return o, nil
}

func parseDateParam(c *call, errs fieldErrs, name string) *int64 {
	v, ok := c.q1(name)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		errs.addf(name, "The %s parameter must be a Unix timestamp.", name)
		return nil
	}
	return &n
}

// inDates says whether a date is strictly between AfterDate and BeforeDate.
func (o *listOpts) inDates(date int64) bool {
	return (o.before == nil || date < *o.before) && (o.after == nil || date > *o.after)
}

// is says whether value passes the filter on a query key (comma-separated
// values, case-insensitive; no filter passes everything).
func (o *listOpts) is(key, value string) bool {
	want := o.c.q(key)
	return len(want) == 0 || slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(w, value) })
}

// keep applies the date window and the given key=value filters.
func (o *listOpts) keep(r record, filters ...string) bool {
	if !o.inDates(r.created()) {
		return false
	}
	for i := 0; i+1 < len(filters); i += 2 {
		if !o.is(filters[i], filters[i+1]) {
			return false
		}
	}
	return true
}

// listReply sorts, paginates and answers a list with its headers.
func (s *Server) listReply(o *listOpts, items []record) *reply {
	slices.SortStableFunc(items, func(a, b record) int {
		if d := a.created() - b.created(); d != 0 {
			return sign(d)
		}
		return sign(a.seqNo() - b.seqNo())
	})
	if o.desc {
		slices.Reverse(items)
	}
	total := len(items)
	pages := (total + o.perPage - 1) / o.perPage
	lo := min((o.page-1)*o.perPage, total)
	hi := min(lo+o.perPage, total)
	views := make([]any, 0, hi-lo)
	for _, it := range items[lo:hi] {
		views = append(views, it.view())
	}
	rep := jsonReply(http.StatusOK, views)
	rep.header = http.Header{}
	rep.header.Set("X-Number-Of-Pages", strconv.Itoa(pages))
	rep.header.Set("X-Number-Of-Items", strconv.Itoa(total))
	rep.header.Set("Link", s.linkHeader(o, pages))
	return rep
}

func sign(d int64) int {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}

// linkHeader builds the first/prev/next/last links.
func (s *Server) linkHeader(o *listOpts, pages int) string {
	u, _ := url.Parse(o.c.fullURL)
	link := func(page int, rel string) string {
		q := url.Values{}
		for k, v := range u.Query() {
			if !strings.EqualFold(k, "page") && !strings.EqualFold(k, "per_page") {
				q[k] = v
			}
		}
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(o.perPage))
		v := *u
		v.RawQuery = q.Encode()
		return fmt.Sprintf("<%s>; rel=\"%s\"", v.String(), rel)
	}
	last := max(pages, 1)
	links := []string{link(1, "first")}
	if o.page > 1 {
		links = append(links, link(min(o.page-1, last), "prev"))
	}
	if o.page < pages {
		links = append(links, link(o.page+1, "next"))
	}
	links = append(links, link(last, "last"))
	return strings.Join(links, ", ")
}

// filtered keeps the records for which keep returns true.
func filtered[T record](list []T, keep func(T) bool) []record {
	var out []record
	for _, v := range list {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
