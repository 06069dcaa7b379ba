package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/fechatter/notify-e2e/internal/members"
	"github.com/fechatter/notify-e2e/internal/token"
)

// seed changes chat membership in the stack's PostgreSQL, as the chat
// server would when users join or leave.
func seed(ctx context.Context, args []string) error {
	var chat int64
	var users idList
	var leave bool
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.Int64Var(&chat, "chat", 0, "the chat")
	fs.Var(&users, "users", "user ids, e.g. 1,2,3")
	fs.BoolVar(&leave, "leave", false, "the users leave the chat (left_at is set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if chat == 0 || len(users) == 0 || fs.NArg() > 0 {
		return errors.New("usage: notifyctl seed --chat N --users 1,2,3 [--leave]")
	}
	st, err := loadState()
	if err != nil {
		return err
	}
	m, err := members.Open(ctx, st.Postgres)
	if err != nil {
		return err
	}
	defer m.Close()
	if leave {
		if err := m.Leave(ctx, chat, users...); err != nil {
			return err
		}
		fmt.Printf("users %s left chat %d\n", joinIDs(users), chat)
		return nil
	}
	// Joining twice adds a second row; notify-server reads distinct users,
	// so it is harmless.
	if err := m.Join(ctx, chat, users...); err != nil {
		return err
	}
	fmt.Printf("users %s are members of chat %d\n", joinIDs(users), chat)
	return nil
}

// mint prints a token for one user, signed with the stack's key: the
// command's only output, so it can go straight into a variable or a URL.
func mint(_ context.Context, args []string) error {
	var user, workspace int64
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.Int64Var(&user, "user", 0, "user.id")
	fs.Int64Var(&workspace, "workspace", 1, "user.workspace_id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if user == 0 || fs.NArg() > 0 {
		return errors.New("usage: notifyctl token --user N [--workspace N]")
	}
	st, err := loadState()
	if err != nil {
		return err
	}
	signer, err := token.SignerFromPEM(st.SigningKey)
	if err != nil {
		return fmt.Errorf("the state file's signing key: %w", err)
	}
	fmt.Println(signer.Mint(token.NewUser(user, workspace)))
	return nil
}
