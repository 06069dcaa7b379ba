package route

import (
	"context"
	"slices"
	"sync"
)

// StaticMembership is an in-memory Membership for tests and local runs without a
// database.
type StaticMembership struct {
	mu    sync.Mutex
	chats map[int64][]int64
}

// Join adds users to chatID.
func (s *StaticMembership) Join(chatID int64, users ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chats == nil {
		s.chats = map[int64][]int64{}
	}
	for _, u := range users {
		if !slices.Contains(s.chats[chatID], u) {
			s.chats[chatID] = append(s.chats[chatID], u)
		}
	}
}

// Leave removes user from chatID.
func (s *StaticMembership) Leave(chatID, user int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[chatID] = slices.DeleteFunc(slices.Clone(s.chats[chatID]),
		func(u int64) bool { return u == user })
}

// Members implements Membership.
func (s *StaticMembership) Members(_ context.Context, chatID int64) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.chats[chatID]), nil
}

// Peers implements Membership.
func (s *StaticMembership) Peers(_ context.Context, userID int64) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var peers []int64
	for _, members := range s.chats {
		if !slices.Contains(members, userID) {
			continue
		}
		for _, u := range members {
			if u != userID && !slices.Contains(peers, u) {
				peers = append(peers, u)
			}
		}
	}
	slices.Sort(peers)
	return peers, nil
}
