package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func TestResultJudge(t *testing.T) {
	lostAtNginx := spec(types.NodeTypeIt, types.SpecStateFailed, "lost at nginx: x")
	tests := []struct {
		name string
		res  result
		want string
		ok   bool
		// why holds what the explanation must mention.
		why []string
	}{
		{
			name: "caught at the expected hop",
			res:  report(lostAtNginx),
			want: "nginx",
			ok:   true,
		},
		{
			name: "caught at another hop",
			res:  report(lostAtNginx),
			want: "notify-server",
			why:  []string{"names hop nginx", "expected notify-server", "x"},
		},
		{
			name: "a later failure at another hop",
			res: report(lostAtNginx, spec(types.NodeTypeIt, types.SpecStateFailed,
				"lost at NATS: the tap never saw it")),
			want: "nginx",
			why:  []string{"names hop NATS", "expected nginx"},
		},
		{
			name: "every It passed",
			res:  report(spec(types.NodeTypeIt, types.SpecStatePassed, "")),
			want: "nginx",
			why:  []string{"not caught", "output.txt"},
		},
		{
			name: "only the setup failed",
			res: report(spec(types.NodeTypeBeforeSuite, types.SpecStateFailed,
				"lost at nginx: stack did not start")),
			want: "nginx",
			why:  []string{"not caught"},
		},
		{
			name: "a failure without a verdict",
			res: report(spec(types.NodeTypeIt, types.SpecStateFailed,
				"Expected <bool>: false to be true")),
			want: "nginx",
			why:  []string{"without a hop verdict", "Expected <bool>: false to be true"},
		},
		{
			name: "the run itself failed",
			res:  result{err: errors.New("no report")},
			want: "nginx",
			why:  []string{"no report"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := tt.res.judge(tt.want)
			if ok != tt.ok {
				t.Fatalf("expected judge(%q) %v, got %v (%s)", tt.want, tt.ok, ok, why)
			}
			if ok && why != "" {
				t.Errorf("expected no explanation for a pass, got %q", why)
			}
			for _, s := range tt.why {
				if !strings.Contains(why, s) {
					t.Errorf("expected the explanation to mention %q, got %q", s, why)
				}
			}
		})
	}
}

// spec builds one spec's report as the suite's JSON report would hold it.
func spec(node types.NodeType, state types.SpecState, message string) types.SpecReport {
	return types.SpecReport{
		ContainerHierarchyTexts: []string{"MessageRead"},
		LeafNodeType:            node,
		LeafNodeText:            "reaches every member except the reader",
		State:                   state,
		Failure:                 types.Failure{Message: message},
	}
}

// report wraps specs in a run's result, as runner.run returns it.
func report(specs ...types.SpecReport) result {
	failed := false
	for _, s := range specs {
		failed = failed || s.State.Is(types.SpecStateFailureStates)
	}
	return result{
		report: types.Report{SuiteSucceeded: !failed, SpecReports: specs},
		log:    "_artifacts/selfcheck/fault/output.txt",
	}
}
