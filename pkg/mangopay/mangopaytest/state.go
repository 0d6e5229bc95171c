package mangopaytest

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// entityBase holds the fields every resource has. Its exported fields are
// promoted into the JSON of the embedding struct.
type entityBase struct {
	Id           string  `json:"Id"`
	Tag          *string `json:"Tag"`
	CreationDate int64   `json:"CreationDate"`
	seq          int64
}

func (b *entityBase) key() string    { return b.Id }
func (b *entityBase) seqNo() int64   { return b.seq }
func (b *entityBase) created() int64 { return b.CreationDate }

// record is what every stored resource implements.
type record interface {
	key() string
	seqNo() int64
	created() int64
	view() any
}

// table keeps one kind of resource by Id and in creation order.
type table[T record] struct {
	byID map[string]T
	list []T
}

func newTable[T record]() *table[T] { return &table[T]{byID: map[string]T{}} }

func (t *table[T]) add(v T) {
	t.byID[v.key()] = v
	t.list = append(t.list, v)
}

func (t *table[T]) get(id string) (T, bool) {
	v, ok := t.byID[id]
	return v, ok
}

func (t *table[T]) records() []record {
	out := make([]record, len(t.list))
	for i, v := range t.list {
		out[i] = v
	}
	return out
}

// state is everything the fake knows. It is guarded by Server.mu.
type state struct {
	now    time.Time
	seq    int64
	idSalt uint16

	users     *table[*user]
	docs      *table[*kycDoc]
	pages     int
	banks     *table[*bankAccount]
	wallets   *table[*wallet]
	fees      map[string]*wallet
	cardRegs  *table[*cardReg]
	cards     *table[*card]
	payins    *table[*payin]
	preauths  *table[*preauth]
	refunds   *table[*refund]
	transfers *table[*transfer]
	payouts   *table[*payout]
	hooks     *table[*hook]
	events    []*event

	pci        map[string]*pciData // vault token -> card data (never the PAN)
	tokens     map[string]int64    // access token -> expiry (fake Unix seconds)
	idem       map[string]*idemEntry
	calls      []int64 // rate-limit call times, ascending
	faults     []*Fault
	requests   []RecordedRequest
	tokenReqs  int
	deliveries []HookDelivery
	retries    []*hookJob

	scaPending map[string]string // OWNER user id -> its pending wallet SCA token
	scaTokens  map[string]string // every wallet SCA token issued -> its user id

	transferSCA    map[string]bool   // OWNER user ids whose OWNER->OWNER transfers need SCA
	transferTokens map[string]string // every transfer SCA token issued -> its transfer id
}

func newState(start time.Time) *state {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return &state{
		now:       start,
		idSalt:    binary.BigEndian.Uint16(b[:]),
		users:     newTable[*user](),
		docs:      newTable[*kycDoc](),
		banks:     newTable[*bankAccount](),
		wallets:   newTable[*wallet](),
		fees:      map[string]*wallet{},
		cardRegs:  newTable[*cardReg](),
		cards:     newTable[*card](),
		payins:    newTable[*payin](),
		preauths:  newTable[*preauth](),
		refunds:   newTable[*refund](),
		transfers: newTable[*transfer](),
		payouts:   newTable[*payout](),
		hooks:     newTable[*hook](),
		pci:       map[string]*pciData{},
		tokens:    map[string]int64{},
		idem:      map[string]*idemEntry{},

		scaPending: map[string]string{},
		scaTokens:  map[string]string{},

		transferSCA:    map[string]bool{},
		transferTokens: map[string]string{},
	}
}

// unix is the fake clock in Unix seconds.
func (st *state) unix() int64 { return st.now.Unix() }

// base returns a fresh entityBase with a new Id.
func (st *state) base(prefix string, tag *string) entityBase {
	st.seq++
	return entityBase{Id: st.newID(prefix), Tag: tag, CreationDate: st.unix(), seq: st.seq}
}

// kindTable returns the records of a kind, for Count, Object and the
// /__fake/objects control.
func (st *state) kindTable(kind string) ([]record, bool) {
	switch kind {
	case "users":
		return st.users.records(), true
	case "documents":
		return st.docs.records(), true
	case "bankaccounts":
		return st.banks.records(), true
	case "wallets":
		return st.wallets.records(), true
	case "cardregistrations":
		return st.cardRegs.records(), true
	case "cards":
		return st.cards.records(), true
	case "payins":
		return st.payins.records(), true
	case "preauthorizations":
		return st.preauths.records(), true
	case "refunds":
		return st.refunds.records(), true
	case "transfers":
		return st.transfers.records(), true
	case "payouts":
		return st.payouts.records(), true
	case "hooks":
		return st.hooks.records(), true
	case "events":
		out := make([]record, len(st.events))
		for i, e := range st.events {
			out[i] = e
		}
		return out, true
	}
	return nil, false
}

func ptr[T any](v T) *T { return &v }

// strOr returns *p, or "" when p is nil.
func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
