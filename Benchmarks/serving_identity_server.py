"""An identity model server on SageMaker's container contract, for Benchmarks/serving.py.

`GET /ping` answers 200; `POST /invocations` answers its own body with the request's Content-Type. It listens on
127.0.0.1:$SAGEMAKER_BIND_TO_PORT (Osprey's HTTPContractWorker sets it). Standard library only: one asyncio protocol
with a minimal HTTP/1.1 parser (Content-Length bodies, keep-alive), so that the server itself costs as little as Python
allows and the difference between calling it directly and through Osprey is the router's.
"""

import asyncio
import os
import sys

OK = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class Identity(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = bytearray()

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).split(b"\r\n")
            parts = lines[0].split(b" ")
            path = parts[1] if len(parts) > 1 else b"/"
            length, content_type, close = 0, b"application/octet-stream", False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"content-type":
                    content_type = value.strip()
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4:total])
            del self.buffer[:total]
            if path == b"/invocations":
                self.transport.write(OK % (content_type, len(body)) + body)
            elif path == b"/ping":
                self.transport.write(OK % (b"text/plain", 0))
            else:
                self.transport.write(NOT_FOUND)
            if close:
                self.transport.close()
                return


async def main():
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    server = await asyncio.get_running_loop().create_server(Identity, "127.0.0.1", port, backlog=1024)
    print("identity server on 127.0.0.1:%d, pid %d" % (port, os.getpid()), file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
