// Package members writes chat membership the way the chat server keeps it,
// in the chat_members table notify-server reads.
package members

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store seeds and changes membership rows.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the stack's PostgreSQL.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping PostgreSQL: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Join makes users members of chat.
func (s *Store) Join(ctx context.Context, chat int64, users ...int64) error {
	for _, u := range users {
		_, err := s.pool.Exec(ctx,
			`INSERT INTO chat_members (chat_id, user_id, joined_at) VALUES ($1, $2, now())`,
			chat, u)
		if err != nil {
			return fmt.Errorf("user %d joins chat %d: %w", u, chat, err)
		}
	}
	return nil
}

// Leave marks users as having left chat; their rows stay, as in production.
func (s *Store) Leave(ctx context.Context, chat int64, users ...int64) error {
	for _, u := range users {
		_, err := s.pool.Exec(ctx,
			`UPDATE chat_members SET left_at = now()
			 WHERE chat_id = $1 AND user_id = $2 AND left_at IS NULL`, chat, u)
		if err != nil {
			return fmt.Errorf("user %d leaves chat %d: %w", u, chat, err)
		}
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() { s.pool.Close() }
