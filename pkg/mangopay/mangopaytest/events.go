package mangopaytest

import "strconv"

// eventTTL is how far back GET /events can look (45 days).
const eventTTL = 45 * 24 * 60 * 60

// event is one entry of GET /events. Note ResourceId with one s.
type event struct {
	ResourceId string `json:"ResourceId"`
	EventType  string `json:"EventType"`
	Date       int64  `json:"Date"`
	seq        int64
}

func (e *event) key() string    { return strconv.FormatInt(e.seq, 10) }
func (e *event) seqNo() int64   { return e.seq }
func (e *event) created() int64 { return e.Date }
func (e *event) view() any      { return e }

// emit records an event at time at and queues the hook delivery for it, if
// an enabled and valid hook exists for its type. Called with s.mu held.
func (s *Server) emit(eventType, resourceID string, at int64) {
	st := s.st
	st.seq++
	st.events = append(st.events, &event{ResourceId: resourceID, EventType: eventType, Date: at, seq: st.seq})
	for _, h := range st.hooks.list {
		if h.EventType == eventType {
			s.queueDelivery(h, eventType, resourceID, at, 0, st.unix())
		}
	}
}

// listEvents is GET /events. EventType is an optional filter: the docs mark
// it required, but the Java SDK's sandbox tests and the Node SDK call without
// it and succeed. BeforeDate/AfterDate may not reach back more than 45 days.
func (s *Server) listEvents(c *call) *reply {
	st := s.st
	o, rep := s.parseList(c)
	if rep != nil {
		return rep
	}
	errs := fieldErrs{}
	limit := st.unix() - eventTTL
	if o.after != nil && *o.after < limit {
		errs.add("AfterDate", "Events older than 45 days can not be searched")
	}
	if o.before != nil && *o.before < limit {
		errs.add("BeforeDate", "Events older than 45 days can not be searched")
	}
	if len(errs) > 0 {
		return st.paramError(errs)
	}
	items := filtered(st.events, func(e *event) bool {
		return e.Date >= limit && o.keep(e, "EventType", e.EventType)
	})
	return s.listReply(o, items)
}
