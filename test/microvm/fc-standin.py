#!/usr/bin/env python3
"""A stand-in for the Firecracker VMM, for testing Hodei's firecracker backend
where no Firecracker binary and no working KVM exist.

Run as `fc-standin.py --api-sock PATH`, like firecracker.  It serves the
pre-boot API on the unix socket and checks every request against the
request schemas of Firecracker's API specification (the definitions
BootSource, MachineConfiguration, Drive, NetworkInterface and
InstanceActionInfo of src/firecracker/swagger/firecracker.yaml in
firecracker-microvm/firecracker, Apache-2.0, transcribed below for the
fields Hodei uses: types, required fields, enums and ranges; unknown fields
are refused, as Firecracker's own parser does).  A request that does not
match is answered 400 with {"fault_message": ...}, as Firecracker does.
With FIRECRACKER_YAML set to a copy of that file, the definitions are read
from it instead (needs python3-yaml).

On PUT /actions {"action_type": "InstanceStart"} it answers 204 and then
becomes the VM: it execs QEMU (-M microvm, TCG) with the kernel, initrd,
boot args, vCPUs, memory and drives it was given, so the same pid is the
VMM, the serial console is on stdout, and the whole path runs.
"""
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

SCHEMAS = {
    "BootSource": {
        "type": "object", "required": ["kernel_image_path"],
        "properties": {"boot_args": {"type": "string"}, "initrd_path": {"type": "string"},
                       "kernel_image_path": {"type": "string"}},
    },
    "MachineConfiguration": {
        "type": "object", "required": ["mem_size_mib", "vcpu_count"],
        "properties": {"cpu_template": {"type": "string"}, "smt": {"type": "boolean"},
                       "mem_size_mib": {"type": "integer"},
                       "track_dirty_pages": {"type": "boolean"},
                       "vcpu_count": {"type": "integer", "minimum": 1, "maximum": 32},
                       "huge_pages": {"type": "string", "enum": ["None", "2M"]}},
    },
    "Drive": {
        "type": "object", "required": ["drive_id", "is_root_device"],
        "properties": {"drive_id": {"type": "string"}, "partuuid": {"type": "string"},
                       "is_root_device": {"type": "boolean"},
                       "cache_type": {"type": "string", "enum": ["Unsafe", "Writeback"]},
                       "is_read_only": {"type": "boolean"}, "path_on_host": {"type": "string"},
                       "rate_limiter": {"type": "object"},
                       "io_engine": {"type": "string", "enum": ["Sync", "Async"]},
                       "socket": {"type": "string"}},
    },
    "NetworkInterface": {
        "type": "object", "required": ["host_dev_name", "iface_id"],
        "properties": {"guest_mac": {"type": "string"}, "host_dev_name": {"type": "string"},
                       "iface_id": {"type": "string"},
                       "rx_rate_limiter": {"type": "object"},
                       "tx_rate_limiter": {"type": "object"}},
    },
    "InstanceActionInfo": {
        "type": "object", "required": ["action_type"],
        "properties": {"action_type": {"type": "string",
                                       "enum": ["FlushMetrics", "InstanceStart",
                                                "SendCtrlAltDel"]}},
    },
}

# PUT path (prefix) -> schema name, and the body field that must equal the path's id
ROUTES = [("/boot-source", "BootSource", None), ("/machine-config", "MachineConfiguration", None),
          ("/drives/", "Drive", "drive_id"), ("/network-interfaces/", "NetworkInterface", "iface_id"),
          ("/actions", "InstanceActionInfo", None)]

TYPES = {"object": dict, "string": str, "boolean": bool, "array": list}


def note(line):
    """On stdout (the VM's console log) and, with FC_STANDIN_LOG, in that file."""
    print("fc-standin: " + line, flush=True)
    if os.environ.get("FC_STANDIN_LOG"):
        with open(os.environ["FC_STANDIN_LOG"], "a") as f:
            f.write(line + "\n")


def load_yaml_schemas(path):
    import yaml  # python3-yaml
    with open(path) as f:
        spec = yaml.safe_load(f)
    return {name: spec["definitions"][name] for name in SCHEMAS}


def validate(schema, value, where, defs):
    if "$ref" in schema:
        return validate(defs[schema["$ref"].split("/")[-1]], value, where, defs)
    t = schema.get("type")
    if t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return "%s: must be an integer" % where
        if "minimum" in schema and value < schema["minimum"]:
            return "%s: below %s" % (where, schema["minimum"])
        if "maximum" in schema and value > schema["maximum"]:
            return "%s: above %s" % (where, schema["maximum"])
    elif t in TYPES:
        if not isinstance(value, TYPES[t]) or (t != "boolean" and isinstance(value, bool)):
            return "%s: must be of type %s" % (where, t)
    if "enum" in schema and value not in schema["enum"]:
        return "%s: must be one of %s" % (where, ", ".join(map(str, schema["enum"])))
    if t == "object":
        for req in schema.get("required", []):
            if req not in value:
                return "%s: missing field %s" % (where, req)
        props = schema.get("properties", {})
        for k, v in value.items():
            if k not in props:
                return "%s: unknown field %s" % (where, k)
            err = validate(props[k], v, "%s.%s" % (where, k), defs)
            if err:
                return err
    return None


class State:
    config = {"drives": {}, "net": {}}
    defs = SCHEMAS


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, fault=None):
        body = json.dumps({"fault_message": fault}).encode() if fault else b""
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        note("PUT %s -> %d%s" % (self.path, code, " " + fault if fault else ""))

    def do_GET(self):
        self.reply(400, "the stand-in serves only PUT")

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(n) or b"null")
        except ValueError as e:
            return self.reply(400, "body is not JSON: %s" % e)
        for prefix, name, id_field in ROUTES:
            if self.path == prefix or (prefix.endswith("/") and self.path.startswith(prefix)):
                break
        else:
            return self.reply(400, "unknown path %s" % self.path)
        err = validate(State.defs[name], body, name, State.defs)
        if not err and id_field and body.get(id_field) != self.path[len(prefix):]:
            err = "%s.%s: must equal the path's id %s" % (name, id_field, self.path[len(prefix):])
        if err:
            return self.reply(400, err)
        if name == "Drive":
            State.config["drives"][body["drive_id"]] = body
        elif name == "NetworkInterface":
            State.config["net"][body["iface_id"]] = body
        elif name != "InstanceActionInfo":
            State.config[name] = body
        elif body["action_type"] == "InstanceStart":
            if "BootSource" not in State.config:
                return self.reply(400, "InstanceStart: no boot source")
            self.reply(204)
            boot(State.config)
        self.reply(204)


def boot(cfg):
    bs = cfg["BootSource"]
    mc = cfg.get("MachineConfiguration", {"vcpu_count": 1, "mem_size_mib": 128})
    argv = [os.environ.get("FC_STANDIN_QEMU", "qemu-system-x86_64"), "-M", "microvm",
            "-accel", "tcg", "-cpu", "max", "-m", str(mc["mem_size_mib"]),
            "-smp", str(mc["vcpu_count"]), "-nographic", "-no-reboot",
            "-kernel", bs["kernel_image_path"], "-append", bs.get("boot_args", "")]
    if "initrd_path" in bs:
        argv += ["-initrd", bs["initrd_path"]]
    for i, iface in enumerate(cfg["net"].values()):
        # Firecracker would attach the tap device host_dev_name; QEMU's user
        # networking gives the guest the same view (gateway 10.0.2.2).
        argv += ["-netdev", "user,id=n%d" % i, "-device", "virtio-net-device,netdev=n%d" % i]
    for d in cfg["drives"].values():
        argv += ["-drive", "id=%s,file=%s,format=raw,if=none%s" %
                 (d["drive_id"], d["path_on_host"], ",readonly=on" if d.get("is_read_only") else ""),
                 "-device", "virtio-blk-device,drive=%s" % d["drive_id"]]
    note("InstanceStart: exec %s" % " ".join(argv))
    os.execvp(argv[0], argv)


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "--api-sock":
        print("usage: fc-standin.py --api-sock PATH", file=sys.stderr)
        return 2
    if os.environ.get("FIRECRACKER_YAML"):
        State.defs = load_yaml_schemas(os.environ["FIRECRACKER_YAML"])
    sock = sys.argv[2]
    if os.path.exists(sock):
        os.unlink(sock)
    with socketserver.UnixStreamServer(sock, Handler) as srv:
        print("fc-standin: API on %s" % sock, flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
