package records

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"
)

// crockford is the ULID alphabet: sortable, no I, L, O or U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDGenerator makes ULID-style ids, "<prefix>_<26 characters>": 48 bits of
// milliseconds then 80 random bits, so ids sort by creation time. Ids made
// by one generator within the same millisecond stay in order (the random
// part is incremented). It is safe for concurrent use.
type IDGenerator struct {
	now    func() time.Time
	mu     sync.Mutex
	lastMS uint64
	last   [10]byte
}

// NewIDGenerator returns a generator reading time from now (time.Now if nil).
func NewIDGenerator(now func() time.Time) *IDGenerator {
	if now == nil {
		now = time.Now
	}
	return &IDGenerator{now: now}
}

// New returns a new id for a record of kind k.
func (g *IDGenerator) New(k Kind) string {
	p, ok := kindPrefixes[k]
	if !ok {
		p = strings.ToLower(string(k))
	}
	return p + "_" + g.ULID()
}

// ULID returns the 26-character time-ordered part alone.
func (g *IDGenerator) ULID() string {
	ms, rnd := g.next()
	return encodeULID(ms, rnd)
}

func (g *IDGenerator) next() (uint64, [10]byte) {
	ms := uint64(g.now().UnixMilli())
	g.mu.Lock()
	defer g.mu.Unlock()
	if ms <= g.lastMS && g.lastMS != 0 {
		ms = g.lastMS
		increment(&g.last)
		return ms, g.last
	}
	if _, err := rand.Read(g.last[:]); err != nil {
		panic(fmt.Sprintf("records: crypto/rand failed: %v", err))
	}
	g.lastMS = ms
	return ms, g.last
}

// increment adds one to a big-endian number, wrapping on overflow (2^80
// ids in one millisecond do not happen).
func increment(b *[10]byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
}

// encodeULID writes 48 bits of time then 80 bits of randomness as 26
// Crockford base32 characters (128 bits, the first character carrying 3).
func encodeULID(ms uint64, rnd [10]byte) string {
	var b [16]byte
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	copy(b[6:], rnd[:])
	var out [26]byte
	for i := range out {
		out[i] = crockford[fiveBits(b, 5*i)]
	}
	return string(out[:])
}

// fiveBits returns the 5 bits of b starting at bit position start, where
// positions run over a 130-bit string made of 2 zero bits then b.
func fiveBits(b [16]byte, start int) byte {
	var v byte
	for k := 0; k < 5; k++ {
		pos := start + k - 2 // position in b
		v <<= 1
		if pos >= 0 && b[pos/8]&(0x80>>(pos%8)) != 0 {
			v |= 1
		}
	}
	return v
}

// KindOfID returns the kind an id was made for, from its prefix.
func KindOfID(id string) (Kind, bool) {
	p, _, ok := strings.Cut(id, "_")
	if !ok {
		return "", false
	}
	for k, kp := range kindPrefixes {
		if kp == p {
			return k, true
		}
	}
	return "", false
}

// IdempotencyKey returns the Idempotency-Key to send to Mangopay when
// creating the object of the record with this id: the 26-character time
// part, which meets Mangopay's rule (16 to 36 letters, digits or dashes)
// and is the same on every retry of the same record.
func IdempotencyKey(id string) string {
	_, ulid, ok := strings.Cut(id, "_")
	if !ok {
		return id
	}
	return ulid
}
