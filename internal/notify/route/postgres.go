package route

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresMembership reads chat_members, where a user is a member while a row with
// left_at IS NULL exists.
type PostgresMembership struct {
	Pool *pgxpool.Pool
	// Timeout bounds each query, so a stuck database delays one event, not the stream.
	Timeout time.Duration
}

const membersSQL = `
SELECT DISTINCT user_id FROM chat_members
WHERE chat_id = $1 AND left_at IS NULL
ORDER BY user_id`

const peersSQL = `
SELECT DISTINCT other.user_id
FROM chat_members AS mine
JOIN chat_members AS other ON other.chat_id = mine.chat_id
WHERE mine.user_id = $1 AND mine.left_at IS NULL
  AND other.left_at IS NULL AND other.user_id <> $1
ORDER BY other.user_id`

// Members implements Membership.
func (p PostgresMembership) Members(ctx context.Context, chatID int64) ([]int64, error) {
	return p.userIDs(ctx, membersSQL, chatID)
}

// Peers implements Membership.
func (p PostgresMembership) Peers(ctx context.Context, userID int64) ([]int64, error) {
	return p.userIDs(ctx, peersSQL, userID)
}

func (p PostgresMembership) userIDs(ctx context.Context, sql string, arg int64) ([]int64,
	error) {
	if p.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Timeout)
		defer cancel()
	}
	rows, err := p.Pool.Query(ctx, sql, arg)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
