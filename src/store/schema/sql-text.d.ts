// Schema scripts are embedded as text: `import x from "../file.sql" with { type: "text" }` works in
// Bun, in `bun build --compile` and in Deno; this tells the type checker what such an import is.
declare module "*.sql" {
  const text: string;
  export default text;
}
