"""Osprey's Python model worker: loads a SageMaker-style inference.py and answers the router over file descriptor 3.

Started by Osprey (OspreyServing's PythonWorker) as `python -u -c <this file>`; standard library only before the user's
code is imported; numpy, joblib, pickle and xgboost are imported only when a default handler needs them.

User code (as the SageMaker inference toolkit and the framework containers find it):
    model dir   SM_MODEL_DIR, else /opt/ml/model
    code dir    SAGEMAKER_SUBMIT_DIRECTORY, else <model dir>/code; it goes first on sys.path
    module      SAGEMAKER_PROGRAM (e.g. inference.py), else inference.py when the code dir has one, else none
    handlers    model_fn(model_dir), input_fn(body, content_type), predict_fn(data, model), output_fn(prediction, accept),
                or transform_fn(model, body, content_type, accept), which wins over the other three.
    bodies      input_fn / transform_fn get `str` for application/json and text/csv (the toolkit's UTF8_TYPES) and
                `bytes` for every other content type, as the toolkit passes them.
    results     output_fn / transform_fn return bytes or str, or a tuple (body, content_type) as the toolkit accepts.
    errors      a handler that raises answers 500 with the exception's text (its traceback goes to stderr, the worker's
                log); an exception with a `status_code` attribute answers that status (and its `message` when it has
                one), like the toolkit's GenericInferenceToolkitError.
    accept      absent or */* means SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, else application/json; an absent content type
                means application/json.
    context     a handler with one more parameter than the above gets the model server's context object last, as the
                toolkit passes it: context.get_request_header(0, "X-Amzn-SageMaker-Custom-Attributes") (also
                request_processor[0].get_request_properties(), case-insensitive: Content-Type, Accept, the custom
                attributes, X-Amzn-SageMaker-Target-Model), context.set_response_header(0, name, value) (the
                X-Amzn-SageMaker-Custom-Attributes one is answered to the caller), system_properties["model_dir"].
    defaults    model_fn: model.joblib / *.joblib (joblib), *.pkl / *.pickle (pickle), xgboost-model (xgboost Booster).
                input_fn: application/json (a list of numbers becomes a numpy array when numpy imports), text/csv (rows
                of floats, a 2-D numpy array when numpy imports), application/x-npy; others answer 415.
                predict_fn: model.predict(data) (an xgboost Booster gets a DMatrix), else model(data).
                output_fn: application/json (numpy values as lists), text/csv, application/x-npy; others answer 406.
    batches     input_fn runs per item; when every input has rows (numpy arrays of 2 or more dimensions with one row
                shape, or lists of lists) they are joined, predict_fn runs once, and its result is split back by row
                count (when it has one entry per row); otherwise predict_fn runs per item. output_fn runs per item, and
                each item has its own status.

Framing on fd 3 (a connected Unix stream socket; nothing else can connect to it), both ways, every message:
    u32 big-endian header length | header: JSON object, UTF-8 | u32 big-endian body length | body bytes
Worker -> router, first and once:  {"ready": true}  after model_fn returned, or {"ready": false, "error": "..."}, then exit 1.
Router -> worker:
    {"id": n, "content_type": ..., "accept": ..., "custom_attributes": ..., "target_model": ...}    one invocation
    {"id": n, "ping": true}                                                                          health check
    {"id": n, "batch": [{"content_type": ..., "accept": ..., "length": L}, ...]}   bodies concatenated in the body
Worker -> router, one answer per request, in the order the requests came:
    {"id": n, "status": 200, "content_type": ..., "custom_attributes": ...}   (custom_attributes when a handler set it)
    {"id": n, "batch": [{"status": ..., "content_type": ..., "custom_attributes": ..., "length": L}, ...]}   bodies
                                                                                        concatenated in the body
Error answers carry the message as a text/plain body. SIGTERM while idle exits at once; while busy, after the answer.
"""

import json
import os
import signal
import socket
import struct
import sys

_U32 = struct.Struct(">I")
JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
UTF8_TYPES = (JSON, CSV)


class HandlerError(Exception):
    """An answer other than 200 with a message (e.g. 415 for a content type the defaults cannot decode)."""

    def __init__(self, status_code, message):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def _base_type(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


# ---- Default handlers -------------------------------------------------------------------------------------------------

def _numpy():
    try:
        import numpy
        return numpy
    except ImportError:
        return None


def default_model_fn(model_dir):
    files = sorted(os.listdir(model_dir)) if os.path.isdir(model_dir) else []
    joblibs = (["model.joblib"] if "model.joblib" in files else []) + [f for f in files if f.endswith(".joblib")]
    if joblibs:
        try:
            import joblib
        except ImportError:
            raise RuntimeError("%s needs joblib, which is not installed in the worker's environment" % joblibs[0])
        return joblib.load(os.path.join(model_dir, joblibs[0]))
    pickles = [f for f in files if f.endswith(".pkl") or f.endswith(".pickle")]
    if pickles:
        import pickle
        with open(os.path.join(model_dir, pickles[0]), "rb") as handle:
            return pickle.load(handle)
    if "xgboost-model" in files:
        try:
            import xgboost
        except ImportError:
            raise RuntimeError("xgboost-model needs xgboost, which is not installed in the worker's environment")
        booster = xgboost.Booster()
        booster.load_model(os.path.join(model_dir, "xgboost-model"))
        return booster
    raise RuntimeError(
        "No model_fn in the inference code and no model file Osprey can load in %s "
        "(looked for model.joblib, *.joblib, *.pkl, *.pickle, xgboost-model; found: %s)"
        % (model_dir, ", ".join(files[:20]) or "nothing")
    )


def _csv_rows(text):
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append([float(cell) for cell in line.split(",")])
        except ValueError:
            raise HandlerError(400, "CSV line %d is not a row of numbers: %r" % (number, line[:200]))
    return rows


def default_input_fn(body, content_type):
    kind = _base_type(content_type)
    np = _numpy()
    if kind == JSON:
        try:
            data = json.loads(body)
        except ValueError as error:
            raise HandlerError(400, "The body is not valid JSON: %s" % error)
        if np is not None and isinstance(data, list):
            try:
                array = np.array(data)
            except ValueError:  # ragged
                return data
            return array if array.dtype.kind in "biuf" else data
        return data
    if kind == CSV:
        rows = _csv_rows(body)
        return np.array(rows) if np is not None else rows
    if kind == NPY:
        if np is None:
            raise HandlerError(415, "application/x-npy needs numpy, which is not installed in the worker's environment")
        import io
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise HandlerError(
        415, "Content type %r is not supported by the default input_fn (application/json, text/csv, application/x-npy); "
        "define input_fn in inference.py" % (content_type,),
    )


def default_predict_fn(data, model):
    if type(model).__name__ == "Booster" and type(model).__module__.startswith("xgboost"):
        import xgboost
        return model.predict(xgboost.DMatrix(data))
    predict = getattr(model, "predict", None)
    if predict is not None:
        return predict(data)
    if callable(model):
        return model(data)
    raise RuntimeError("The model (%s) has no predict method and is not callable; define predict_fn" % type(model).__name__)


def _plain(value):
    tolist = getattr(value, "tolist", None)
    if tolist is not None:
        return tolist()
    item = getattr(value, "item", None)
    if item is not None:
        return item()
    raise TypeError("%s is not JSON serializable" % type(value).__name__)


def _csv_text(prediction):
    value = _plain(prediction) if hasattr(prediction, "tolist") else prediction
    if not isinstance(value, (list, tuple)):
        value = [value]
    lines = []
    for row in value:
        row = _plain(row) if hasattr(row, "tolist") else row
        lines.append(",".join(str(cell) for cell in row) if isinstance(row, (list, tuple)) else str(row))
    return "\n".join(lines) + "\n"


def default_output_fn(prediction, accept):
    kind = _base_type(accept)
    if kind == JSON:
        return json.dumps(prediction, default=_plain), accept
    if kind == CSV:
        return _csv_text(prediction), accept
    if kind == NPY:
        np = _numpy()
        if np is None:
            raise HandlerError(406, "application/x-npy needs numpy, which is not installed in the worker's environment")
        import io
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(prediction), allow_pickle=False)
        return buffer.getvalue(), accept
    raise HandlerError(
        406, "Accept %r is not supported by the default output_fn (application/json, text/csv, application/x-npy); "
        "define output_fn in inference.py" % (accept,),
    )


# ---- The model server's context object ---------------------------------------------------------------------------------

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


class Headers(dict):
    """Request headers, looked up without regard to case (as HTTP names are)."""

    def __init__(self, pairs):
        super().__init__((name, value) for name, value in pairs if value is not None)
        self._lower = {name.lower(): value for name, value in self.items()}

    def get(self, key, default=None):
        return self._lower.get(str(key).lower(), default)

    def __getitem__(self, key):
        return self._lower[str(key).lower()]

    def __contains__(self, key):
        return str(key).lower() in self._lower


class RequestProcessor:
    def __init__(self, headers):
        self._headers = headers

    def get_request_properties(self):
        return self._headers

    def get_request_property(self, key):
        return self._headers.get(key)


class Context:
    """The part of the model server's (MMS / the inference toolkit's) context object that handlers use, for one request."""

    def __init__(self, model_dir, headers=Headers(())):
        self.model_name = os.environ.get("SAGEMAKER_MODEL_NAME") or "model"
        self.system_properties = {"model_dir": model_dir, "gpu_id": None, "batch_size": 1}
        self.request_processor = [RequestProcessor(headers)]
        self.response_headers = {}
        self.metrics = None

    def get_request_header(self, idx, key):
        return self.request_processor[0].get_request_properties().get(key)

    def get_all_request_header(self, idx):
        return self.request_processor[0].get_request_properties()

    def set_response_header(self, idx, key, value):
        self.response_headers[key] = value

    def set_response_content_type(self, idx, value):
        self.response_headers["Content-Type"] = value

    def set_response_status(self, code=200, phrase="", idx=0):
        pass  # statuses come from the handlers' results and exceptions

    def custom_attributes(self):
        """The X-Amzn-SageMaker-Custom-Attributes answer a handler set, if any."""
        for name, value in self.response_headers.items():
            if name.lower() == CUSTOM_ATTRIBUTES.lower():
                return str(value)
        return None


def request_context(model_dir, content_type, accept, custom_attributes=None, target_model=None):
    return Context(model_dir, Headers((
        ("Content-Type", content_type), ("Accept", accept), (CUSTOM_ATTRIBUTES, custom_attributes),
        ("X-Amzn-SageMaker-Target-Model", target_model),
    )))


_parameter_counts = {}


def parameter_count(function):
    """How many parameters function takes (None when Python cannot tell), looked up once per function."""
    if function not in _parameter_counts:
        import inspect
        try:
            _parameter_counts[function] = len(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            _parameter_counts[function] = None
    return _parameter_counts[function]


def call(function, context, *args):
    """function(*args), or function(*args, context) when it takes one more parameter, as the toolkit calls handlers."""
    count = parameter_count(function)
    if count is None or count == len(args):
        return function(*args)
    if count == len(args) + 1:
        return function(*args, context)
    raise TypeError("%s takes %d arguments but %d were given" % (function.__name__, count, len(args)))


# ---- The user's module -----------------------------------------------------------------------------------------------

class Handlers:
    def __init__(self):
        self.model_dir = os.environ.get("SM_MODEL_DIR") or "/opt/ml/model"
        code_dir = os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY") or os.path.join(self.model_dir, "code")
        program = os.environ.get("SAGEMAKER_PROGRAM")
        module = None
        if not program and os.path.isfile(os.path.join(code_dir, "inference.py")):
            program = "inference.py"
        if program:
            if not os.path.isfile(os.path.join(code_dir, program)):
                raise RuntimeError("SAGEMAKER_PROGRAM %s is not in %s" % (program, code_dir))
            sys.path.insert(0, code_dir)
            import importlib
            module = importlib.import_module(program[:-3] if program.endswith(".py") else program)
        self.default_accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or JSON
        self.model_fn = getattr(module, "model_fn", None) or default_model_fn
        self.transform_fn = getattr(module, "transform_fn", None)
        self.input_fn = getattr(module, "input_fn", None) or default_input_fn
        self.predict_fn = getattr(module, "predict_fn", None) or default_predict_fn
        self.output_fn = getattr(module, "output_fn", None) or default_output_fn
        if self.transform_fn is not None and any(getattr(module, n, None) for n in ("input_fn", "predict_fn", "output_fn")):
            print("osprey-worker: transform_fn is defined; input_fn, predict_fn and output_fn are not used", file=sys.stderr)
        self.model = None

    def load(self):
        self.model = call(self.model_fn, Context(self.model_dir), self.model_dir)

    def accept_of(self, accept):
        return self.default_accept if not accept or accept.strip() == "*/*" else accept

    def body_of(self, raw, content_type):
        """The body as input_fn sees it: str for the toolkit's UTF8_TYPES, bytes for the rest."""
        if _base_type(content_type) in UTF8_TYPES:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise HandlerError(400, "The %s body is not UTF-8: %s" % (content_type, error))
        return bytes(raw)

    def encode(self, result, accept):
        """(status, content_type, bytes) for what output_fn or transform_fn returned."""
        content_type = accept
        if isinstance(result, tuple) and len(result) == 2:
            result, content_type = result
        if isinstance(result, str):
            return 200, content_type, result.encode("utf-8")
        if isinstance(result, (bytes, bytearray, memoryview)):
            return 200, content_type, bytes(result)
        if isinstance(result, list) and all(isinstance(part, (bytes, str)) for part in result):  # the toolkit's [body]
            return 200, content_type, b"".join(p.encode("utf-8") if isinstance(p, str) else p for p in result)
        raise RuntimeError("The handler returned %s; expected bytes, str or (body, content_type)" % type(result).__name__)

    def invoke(self, raw, header):
        """Runs one invocation (header: the request's fields); returns (status, content_type, body, custom attributes)
        and never raises."""
        content_type = header.get("content_type") or JSON
        accept = self.accept_of(header.get("accept"))
        context = self.context_of(header, content_type, accept)
        try:
            body = self.body_of(raw, content_type)
            if self.transform_fn is not None:
                result = call(self.transform_fn, context, self.model, body, content_type, accept)
            else:
                data = call(self.input_fn, context, body, content_type)
                prediction = call(self.predict_fn, context, data, self.model)
                result = call(self.output_fn, context, prediction, accept)
            return self.encode(result, accept) + (context.custom_attributes(),)
        except Exception as error:
            return failure(error) + (None,)

    def context_of(self, header, content_type, accept):
        return request_context(self.model_dir, content_type, accept, header.get("custom_attributes"), header.get("target_model"))

    def invoke_batch(self, items):
        """items: [(raw, header)] -> [(status, content_type, body, custom attributes)]; one predict_fn call when it can."""
        if self.transform_fn is not None or len(items) < 2:
            return [self.invoke(raw, header) for raw, header in items]
        results = [None] * len(items)
        decoded = []  # (index, data, accept, context)
        for index, (raw, header) in enumerate(items):
            content_type = header.get("content_type") or JSON
            accept = self.accept_of(header.get("accept"))
            context = self.context_of(header, content_type, accept)
            try:
                data = call(self.input_fn, context, self.body_of(raw, content_type), content_type)
                decoded.append((index, data, accept, context))
            except Exception as error:
                results[index] = failure(error) + (None,)
        predictions = self.predict_together([data for _, data, _, _ in decoded], [c for _, _, _, c in decoded])
        for position, (index, data, accept, context) in enumerate(decoded):
            try:
                if predictions is not None:
                    prediction = predictions[position]
                else:
                    prediction = call(self.predict_fn, context, data, self.model)
                result = call(self.output_fn, context, prediction, accept)
                results[index] = self.encode(result, accept) + (context.custom_attributes(),)
            except Exception as error:
                results[index] = failure(error) + (None,)
        return results

    def predict_together(self, inputs, contexts):
        """One predict_fn call over inputs that all have rows (2-D or more numpy arrays of one row shape, or lists of
        lists), split back by row count; None when they cannot be joined or the prediction has not one entry per row.
        A predict_fn that takes a context gets the first input's."""
        if len(inputs) < 2:
            return None
        counts = [len(data) for data in inputs] if all(_has_rows(data) for data in inputs) else None
        if not counts:
            return None
        first = inputs[0]
        if isinstance(first, list):
            if not all(isinstance(data, list) for data in inputs):
                return None
            joined = [row for data in inputs for row in data]
        else:
            np = _numpy()
            if np is None or not all(isinstance(data, np.ndarray) and data.shape[1:] == first.shape[1:] for data in inputs):
                return None
            joined = np.concatenate(inputs, axis=0)
        try:
            prediction = call(self.predict_fn, contexts[0], joined, self.model)
        except Exception:
            return None  # each item runs alone and gets its own status
        try:
            if len(prediction) != sum(counts):
                return None
        except TypeError:
            return None
        parts, start = [], 0
        for count in counts:
            parts.append(prediction[start:start + count])
            start += count
        return parts


def _has_rows(data):
    if isinstance(data, list):
        return len(data) > 0 and all(isinstance(row, list) for row in data)
    shape = getattr(data, "shape", None)
    return isinstance(shape, tuple) and len(shape) >= 2 and shape[0] > 0


def failure(error):
    """(status, text/plain, message) for a handler's exception; its traceback goes to the log."""
    import traceback
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    status = getattr(error, "status_code", None)
    if not isinstance(status, int) or not 100 <= status <= 599:
        status = 500
    message = getattr(error, "message", None)
    if not isinstance(message, str) or not message:
        message = str(error) or type(error).__name__
    return status, "text/plain", message.encode("utf-8", "replace")


# ---- Transport -------------------------------------------------------------------------------------------------------

class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.reader = sock.makefile("rb", buffering=1 << 16)

    def _exact(self, count):
        data = self.reader.read(count) if count else b""
        if data is None or len(data) != count:
            raise EOFError
        return data

    def receive(self):
        """(header dict, body bytes), or None when the router closed the connection."""
        try:
            header = json.loads(self._exact(_U32.unpack(self._exact(4))[0]))
            body = self._exact(_U32.unpack(self._exact(4))[0])
        except EOFError:
            return None
        return header, body

    def send(self, header, body=b""):
        head = json.dumps(header, separators=(",", ":")).encode("utf-8")
        prefix = _U32.pack(len(head)) + head + _U32.pack(len(body))
        if len(body) < 1 << 18:
            self.sock.sendall(prefix + body)
        else:
            self.sock.sendall(prefix)
            self.sock.sendall(body)


class State:
    busy = False
    stopping = False


def on_sigterm(signum, frame):
    if State.busy:
        State.stopping = True
    else:
        sys.exit(0)


def answer(handlers, header, body):
    """The answer (header, body) to one request."""
    ident = header.get("id")
    if header.get("ping"):
        return {"id": ident, "status": 200}, b""
    batch = header.get("batch")
    if batch is not None:
        items, offset = [], 0
        for entry in batch:
            length = int(entry.get("length", 0))
            items.append((body[offset:offset + length], entry))
            offset += length
        results = handlers.invoke_batch(items)
        entries = [with_attributes({"status": s, "content_type": ct, "length": len(b)}, ca) for s, ct, b, ca in results]
        return {"id": ident, "batch": entries}, b"".join(b for _, _, b, _ in results)
    status, content_type, payload, attributes = handlers.invoke(body, header)
    return with_attributes({"id": ident, "status": status, "content_type": content_type}, attributes), payload


def with_attributes(header, custom_attributes):
    if custom_attributes is not None:
        header["custom_attributes"] = custom_attributes
    return header


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        sock = socket.socket(fileno=3)
    except OSError as error:
        print("osprey-worker: file descriptor 3 is not the router's socket (%s)" % error, file=sys.stderr)
        return 2
    connection = Connection(sock)
    try:
        handlers = Handlers()
        handlers.load()
    except BaseException as error:  # SystemExit from user code too: the router must hear why
        import traceback
        traceback.print_exc()
        message = "%s: %s" % (type(error).__name__, error) if str(error) else type(error).__name__
        connection.send({"ready": False, "error": message})
        return 1
    connection.send({"ready": True})
    while True:
        request = connection.receive()
        if request is None:
            return 0
        State.busy = True
        reply = answer(handlers, *request)
        connection.send(*reply)
        State.busy = False
        if State.stopping:
            return 0


if __name__ == "__main__":
    sys.exit(main())
