package main

import (
	"slices"
	"testing"
)

func TestShallowReplacesOnlyATrailingWildcard(t *testing.T) {
	got := shallow([]string{"fechatter.realtime.>", "a.*.b", "plain"})
	want := []string{"fechatter.realtime.*", "a.*.b", "plain"}
	if !slices.Equal(got, want) {
		t.Fatalf("expected %v, got %v", want, got)
	}
}
