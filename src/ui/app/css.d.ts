/** CSS imports are bundled by Bun into a stylesheet; they export nothing. */
declare module "*.css";
