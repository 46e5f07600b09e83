"""A Ctrl-C that numba's compiler turns into another error is still reported as an interrupt.

A Ctrl-C that lands while numba infers a kernel's types comes out of the compiler as a
TypingError about the kernel. The command line notes every Ctrl-C and reports the error that
follows one as the interrupt (exit code 130)."""

from __future__ import annotations

import argparse
import signal

import pytest

from ioukit import _cli_warmup, cli


def test_an_error_after_ctrl_c_is_the_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def compile_interrupted(args: argparse.Namespace) -> int:
        cli._CTRL_C.set()  # what the SIGINT handler does before raising KeyboardInterrupt
        raise RuntimeError("Unknown attribute 'size' of type readonly array(uint8, 1d, C)")

    monkeypatch.setattr(_cli_warmup, "_warmup", compile_interrupted)
    assert cli.main(["warmup", "-q"]) == 130
    err = capsys.readouterr().err
    assert err == "ioukit warmup: interrupted.\n"


def test_the_same_error_without_ctrl_c_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(_cli_warmup, "_warmup", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["warmup", "-q"])


@pytest.mark.parametrize("handler", [signal.SIG_IGN, lambda signum, frame: None])
def test_a_ctrl_c_noted_before_does_not_leak_into_the_next_call(
    monkeypatch: pytest.MonkeyPatch, handler: object
) -> None:
    # under nohup (SIGINT ignored) or a notebook (a handler of its own), main() installs no
    # handler; a Ctrl-C noted by an earlier call must not turn this call's error into one
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(_cli_warmup, "_warmup", broken)
    before = signal.signal(signal.SIGINT, handler)  # type: ignore[arg-type]
    try:
        cli._CTRL_C.set()
        with pytest.raises(RuntimeError, match="a bug"):
            cli.main(["warmup", "-q"])
    finally:
        signal.signal(signal.SIGINT, before)


def test_main_restores_the_handlers() -> None:
    before = signal.getsignal(signal.SIGINT)
    assert cli.main(["--version"]) == 0
    assert signal.getsignal(signal.SIGINT) == before


def test_the_engine_defers_ctrl_c_under_the_command_line() -> None:
    """A run of the engine replaces the command line's handler as it would Python's own, so
    a Ctrl-C during a run is deferred to a point where no state is half-updated."""
    from ioukit._run import Interrupts

    with cli._noting_ctrl_c():
        ours = signal.getsignal(signal.SIGINT)
        assert getattr(ours, "raises_keyboard_interrupt", False)
        with Interrupts() as interrupts:
            assert signal.getsignal(signal.SIGINT) == interrupts._handler
        assert signal.getsignal(signal.SIGINT) is ours
