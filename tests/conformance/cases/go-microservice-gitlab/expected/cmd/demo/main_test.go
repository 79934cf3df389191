package main

import (
	"log/slog"
	"testing"
)

func TestParseLevel(t *testing.T) {
	cases := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, false},
		{"WARN", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"loud", slog.LevelInfo, true},
	}
	for _, c := range cases {
		got, err := parseLevel(c.in)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("parseLevel(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

func TestEnvOr(t *testing.T) {
	t.Setenv("TEST_PORT", "")
	if got := envOr("TEST_PORT", "8080"); got != "8080" {
		t.Errorf("unset: got %q, want 8080", got)
	}
	t.Setenv("TEST_PORT", "9090")
	if got := envOr("TEST_PORT", "8080"); got != "9090" {
		t.Errorf("set: got %q, want 9090", got)
	}
}
