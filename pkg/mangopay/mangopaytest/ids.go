package mangopaytest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID returns prefix + a 26-character ULID-like suffix: 48 bits of the fake
// clock in milliseconds, then a per-server salt and a counter, in Crockford
// base32. IDs are unique per server and sort by creation.
func (st *state) newID(prefix string) string {
	var b [26]byte
	t := uint64(st.now.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[t&31]
		t >>= 5
	}
	salt := uint64(st.idSalt)
	for i := 12; i >= 10; i-- {
		b[i] = crockford[salt&31]
		salt >>= 5
	}
	n := uint64(st.seq)
	for i := 25; i >= 13; i-- {
		b[i] = crockford[n&31]
		n >>= 5
	}
	return prefix + string(b[:])
}

// randHex returns n random bytes as lower-case hex.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randCode returns n random characters from the Crockford alphabet.
func randCode(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = crockford[b[i]&31]
	}
	return string(b)
}

// uuid4 returns a random RFC 4122 version-4 UUID.
func uuid4() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
