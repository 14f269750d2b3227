// node_wasi.mjs - run a WASI preview1 module under node's V8, for comparison:
//   node --no-warnings bench/node_wasi.mjs module.wasm [args...]
// The program's exit code becomes node's exit code.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --no-warnings node_wasi.mjs module.wasm [args...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
