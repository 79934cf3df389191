// Command demo runs the demo HTTP service.
//
// Configuration comes from the environment:
//
//	PORT       TCP port to listen on (default 8080)
//	LOG_LEVEL  debug, info, warn or error (default info)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"gitlab.com/acme/backend/demo/internal/server"
)

const (
	serviceName     = "demo"
	shutdownTimeout = 15 * time.Second
)

func main() {
	level, err := parseLevel(os.Getenv("LOG_LEVEL"))
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level})).With("service", serviceName)
	if err != nil {
		logger.Warn("ignoring LOG_LEVEL", "error", err)
	}

	// SIGTERM (Kubernetes) and Ctrl-C start a graceful shutdown.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	addr := ":" + envOr("PORT", "8080")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("cannot listen", "addr", addr, "error", err)
		os.Exit(1)
	}
	if err := server.New(serviceName, logger).Run(ctx, ln, shutdownTimeout); err != nil {
		logger.Error("server stopped with an error", "error", err)
		os.Exit(1)
	}
}

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// parseLevel turns LOG_LEVEL into a slog level; empty means info.
func parseLevel(s string) (slog.Level, error) {
	if s == "" {
		return slog.LevelInfo, nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", s)
	}
	return level, nil
}
