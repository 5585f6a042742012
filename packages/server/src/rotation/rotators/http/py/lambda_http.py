"""The few lines of HTTP wrapper that put an unchanged Lambda rotation function behind Keyshift's
HTTP rotator: POST the event, get 200 or 500. Usage: python3 lambda_http.py <module> [port];
prints 'listening <port>'."""
import importlib, json, sys, traceback
from http.server import BaseHTTPRequestHandler, HTTPServer

handler = importlib.import_module(sys.argv[1]).lambda_handler


class Invoke(BaseHTTPRequestHandler):
    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        try:
            result = handler(event, None)
            body, status = json.dumps(result).encode(), 200
        except Exception as e:  # the Lambda runtime reports the error the same way
            traceback.print_exc()
            body, status = json.dumps({"errorType": type(e).__name__, "errorMessage": str(e)}).encode(), 500
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), Invoke)
sys.stdout.write("listening %d\n" % server.server_address[1])
sys.stdout.flush()
server.serve_forever()
