#!/usr/bin/python3
"""tests/rig/fakecomponent.py: a scripted XEP-0114 component, to test the test rig itself.

Takes the daemon's command line (-c FILE, --moduledir, -v), reads <name>,
<port> and <secret> from the config, connects, handshakes (with a wrong
secret when the config's secret is "wrong-on-purpose"), and then obeys the
bodies of messages sent to it:
  echo      answers with a message carrying the same body
  twice     answers twice
  error     sends <stream:error><conflict/>
  close     closes the TCP connection (then reconnects after 0.2 s)
  asan      writes a fake sanitizer report to stderr
IQs of type get/set are answered with an empty result. SIGTERM sends
</stream:stream> and exits 0. A config containing <exit-at-once/> makes it
exit 3 before connecting.
"""

import hashlib
import re
import signal
import socket
import sys
import time
import xml.etree.ElementTree as ET


def main():
    cfg = open(sys.argv[sys.argv.index('-c') + 1], encoding='utf-8').read()
    if '<exit-at-once/>' in cfg:
        print('fakecomponent: told to exit', file=sys.stderr)
        return 3
    domain = re.search(r'<name>(.*?)</name>', cfg).group(1)
    port = int(re.search(r'<port>(\d+)</port>', cfg).group(1))
    secret = re.search(r'<secret>(.*?)</secret>', cfg).group(1)
    state = {'sock': None}

    def on_term(*_):
        s = state['sock']
        if s is not None:
            try:
                s.sendall(b'</stream:stream>')
            except OSError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    while True:
        serve(domain, port, secret, state)
        time.sleep(0.2)


def serve(domain, port, secret, state):
    try:
        s = socket.create_connection(('127.0.0.1', port))
    except OSError:
        return
    state['sock'] = s
    s.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
               "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % domain).encode())
    parser = ET.XMLPullParser(events=('start', 'end'))
    depth = 0
    while True:
        data = s.recv(65536)
        if not data:
            s.close()
            state['sock'] = None
            return
        parser.feed(data)
        for ev, el in parser.read_events():
            if ev == 'start':
                depth += 1
                if depth == 1:
                    sid = el.get('id')
                    key = 'nope' if secret == 'wrong-on-purpose' else secret
                    s.sendall(('<handshake>%s</handshake>' % hashlib.sha1(
                        (sid + key).encode()).hexdigest()).encode())
                continue
            depth -= 1
            if depth != 1:
                continue
            tag = el.tag.split('}')[-1]
            if tag == 'iq' and el.get('type') in ('get', 'set'):
                s.sendall(("<iq type='result' id='%s' to='%s' from='%s'/>" % (
                    el.get('id'), el.get('from'), el.get('to'))).encode())
            elif tag == 'message':
                body = ''.join(c.text or '' for c in el if c.tag.endswith('}body'))
                reply = ("<message to='%s' from='%s'><body>%s</body></message>" % (
                    el.get('from'), el.get('to'), body)).encode()
                if body == 'echo':
                    s.sendall(reply)
                elif body == 'twice':
                    s.sendall(reply + reply)
                elif body == 'error':
                    s.sendall(b"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:"
                              b"xmpp-streams'/></stream:error></stream:stream>")
                elif body == 'close':
                    s.close()
                    state['sock'] = None
                    return
                elif body == 'asan':
                    print('==1==ERROR: AddressSanitizer: heap-use-after-free (fake)',
                          file=sys.stderr, flush=True)


if __name__ == '__main__':
    sys.exit(main())
