package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of a run stopped by a signal: 128 + the signal's number, what
// a shell reports for a process the signal killed, so that a scheduler can
// tell "stopped" from "findings" (1) and "bad input" (2). A stopped audit
// stores nothing: the run is written in one transaction, which the signal
// rolls back.
const (
	ExitInterrupted = 130 // SIGINT (Ctrl-C)
	ExitTerminated  = 143 // SIGTERM (a scheduler or service manager stopping the job)
)

// stopSignal is the cancellation cause of the context SignalContext
// returns: the signal that arrived.
type stopSignal struct{ sig os.Signal }

func (s stopSignal) Error() string { return s.sig.String() + " signal received" }

// SignalContext returns a context that is cancelled, with the signal as its
// cause, when the process receives SIGINT or SIGTERM: the command then
// stops at its next step (reading, evaluating or saving) and exits with
// ExitInterrupted or ExitTerminated. A second signal ends the process at
// once, the operating system's default; the database stays consistent
// either way. stop releases the signals.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Reset(os.Interrupt, syscall.SIGTERM) // the next one kills
			cancel(stopSignal{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// stoppedBy returns the signal that cancelled ctx and its exit code, or
// false when no signal did.
func stoppedBy(ctx context.Context) (os.Signal, int, bool) {
	var s stopSignal
	if ctx.Err() == nil || !errors.As(context.Cause(ctx), &s) {
		return nil, 0, false
	}
	code := ExitInterrupted
	if n, ok := s.sig.(syscall.Signal); ok {
		code = 128 + int(n)
	}
	return s.sig, code, true
}

// signalExit turns the failure of a command that a signal stopped into
// the signal's exit code with a message saying what was left undone. A
// result (an exit code without an error: the command finished before the
// signal mattered) and any error when no signal came pass through.
func signalExit(ctx context.Context, err error, what string) error {
	var xe *exitError
	if err == nil || errors.As(err, &xe) && xe.err == nil {
		return err
	}
	sig, code, ok := stoppedBy(ctx)
	if !ok {
		return err
	}
	return withCode(code, fmt.Errorf("stopped by %s: %s", signalName(sig), what))
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}
