#!/usr/bin/python3
"""A real SMTP server for the notify tests (Debian's python3-aiosmtpd), on 127.0.0.1.

Usage: smtp_sink.py DIR [ADDRESS] (default 127.0.0.1; 0.0.0.0 for every interface). Prints "PORT <n>" on stdout once it accepts connections, then writes
each message it receives to DIR/<n>.json (written to a temporary name, then renamed, before the
server answers 250: a completed notify job's message is always there), parsed by Python's own
MIME parser: the envelope, the headers (Subject decoded), and the text and HTML parts decoded.
Runs until stdin closes (the test process exiting closes it) or SIGTERM.
"""
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {name: str(msg[name]) for name in
                        ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type")
                        if msg[name] is not None},
            "content_type": msg.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "raw": (envelope.original_content or envelope.content).decode("utf-8", "replace"),
        }
        with self.lock:
            self.count += 1
            n = self.count
        path = os.path.join(self.directory, "%d.json" % n)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


def free_port(address):
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def main():
    directory = sys.argv[1]
    address = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    controller = Controller(Sink(directory), hostname=address, port=free_port(address))
    controller.start()
    print("PORT %d" % controller.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
