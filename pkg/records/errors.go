package records

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Errors callers branch on with errors.Is. The Store wraps them with the id
// or key concerned.
var (
	// ErrNotFound: no record, entry or notification has this key.
	ErrNotFound = errors.New("records: not found")
	// ErrExists: a create found the key already taken; nothing was written.
	ErrExists = errors.New("records: already exists")
	// ErrConflict: a concurrent writer kept winning (Update gave up after
	// its attempts), or an idempotency entry is held by someone else.
	ErrConflict = errors.New("records: conflicting concurrent update")
	// ErrAmbiguous: more than one record carries the same Mangopay id.
	ErrAmbiguous = errors.New("records: several records match")
	// ErrInvalid: the record or request is malformed (unknown kind, no
	// owner, bad page token...). Nothing was written.
	ErrInvalid = errors.New("records: invalid")
	// ErrNoChange, returned by an Update function, ends the update without
	// writing; Update then returns the record as read and no error.
	ErrNoChange = errors.New("records: no change")
)

// isConditionFailed reports whether err is DynamoDB's answer to a failed
// condition expression.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
