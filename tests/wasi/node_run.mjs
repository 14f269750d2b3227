// node_run.mjs - runs a WASI preview1 program under node:wasi with ward's
// `ward run` options (--dir HOST::GUEST, --env NAME=VAL), so the guest tests
// in this folder can be checked against a reference before ward runs them.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { argv, env, exit } from 'node:process';

const preopens = {};
const guestEnv = {};
let i = 2;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--dir') {
    const [host, guest] = argv[++i].split('::');
    preopens[guest ?? host] = host;
  } else if (a === '--env') {
    const kv = argv[++i];
    const eq = kv.indexOf('=');
    if (eq < 0) { if (env[kv] !== undefined) guestEnv[kv] = env[kv]; }
    else guestEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else break;
}
const file = argv[i];
const wasi = new WASI({ version: 'preview1', args: argv.slice(i), env: guestEnv, preopens,
                        returnOnExit: true });
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
let code = 0;
try {
  code = wasi.start(inst);
} catch (e) {
  console.error(`Error: wasm trap: ${e.message}`);
  code = 134;
}
exit(code);
