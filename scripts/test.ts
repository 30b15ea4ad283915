/**
 * Runs the whole test suite with `bun test` and ends with the one summary line CI reads:
 * `N passed, M failed` (skipped and todo tests are counted on the same line, never hidden).
 *
 *   bun scripts/test.ts [bun test arguments]
 */

export {};

// Each test file starts real server processes (and one compiles the binary): give them room.
const child = Bun.spawn([process.execPath, "test", "--timeout", "120000", ...process.argv.slice(2)], {
  stdout: "pipe",
  stderr: "pipe",
  env: process.env,
});

let output = "";
async function pump(stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    output += text;
    sink.write(text);
  }
}
await Promise.all([pump(child.stdout, process.stdout), pump(child.stderr, process.stderr)]);
const code = await child.exited;

const count = (word: string): number => {
  const match = new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(output);
  return match ? Number(match[1]) : 0;
};
const passed = count("pass");
const failed = count("fail");
const skipped = count("skip") + count("todo");
// A run that crashed before reporting counts as a failure, whatever bun printed.
const failures = code !== 0 && failed === 0 ? 1 : failed;
console.log(`${passed} passed, ${failures} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(code === 0 && failures === 0 && passed > 0 ? 0 : 1);
