#!/usr/bin/env node
// A `solc` executable backed by the npm `solc` package (solc-js, WebAssembly).
// py-solc-x and brownie find it as ~/.solcx/solc-v<version>; it speaks just the
// two things they use: `--version`, and standard JSON on stdin.
// The import callback reads sources from disk, so remapped imports such as
// `@openzeppelin/...` resolve from node_modules without a network.
"use strict";
const fs = require("fs");
const path = require("path");

const projectRoot = path.resolve(__dirname, "..");
const solc = require(path.join(projectRoot, "node_modules", "solc"));

const args = process.argv.slice(2);

function optionValues(name) {
  const values = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) values.push(args[i + 1]);
    else if (args[i].startsWith(name + "=")) values.push(args[i].slice(name.length + 1));
  }
  return values;
}

if (args.includes("--version")) {
  // solc-js reports e.g. "0.8.28+commit.7893614a.Emscripten.clang"
  process.stdout.write("solc, the solidity compiler commandline interface\n");
  process.stdout.write(`Version: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write("solc-npm: only --version and --standard-json are supported\n");
  process.exit(2);
}

const searchRoots = [
  ...optionValues("--base-path"),
  ...optionValues("--include-path"),
  ...optionValues("--allow-paths").flatMap((v) => v.split(",")),
  process.cwd(),
  projectRoot,
].filter(Boolean);

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : searchRoots.map((root) => path.join(root, importPath));
  for (const candidate of candidates) {
    try {
      return { contents: fs.readFileSync(candidate, "utf8") };
    } catch (_) {
      // try the next root
    }
  }
  return { error: `File not found: ${importPath}` };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const output = solc.compile(input, { import: findImports });
  process.stdout.write(output);
});
