/**
 * Generated run names in MLflow's `<adjective>-<noun>-<number>` form, for runs created without a
 * name (clients and the UI show these, so they should look like MLflow's).
 */

const adjectives = [
  "abundant", "agreeable", "amazing", "angry", "auspicious", "awesome", "beautiful", "bedecked",
  "big", "blushing", "bold", "brawny", "bright", "bustling", "calm", "capable", "carefree",
  "casual", "caring", "clean", "clever", "colorful", "crawling", "defiant", "delicate", "dapper",
  "efficient", "enchanting", "entertaining", "enthused", "exultant", "fearless", "flawless",
  "fortunate", "fun", "funny", "gaudy", "gentle", "gifted", "glamorous", "grandiose", "gregarious",
  "handsome", "hilarious", "honorable", "illustrious", "incongruous", "indecisive", "industrious",
  "intelligent", "inquisitive", "intrigued", "invincible", "judicious", "kindly", "languid",
  "learned", "legendary", "likeable", "loud", "luminous", "luxuriant", "lyrical", "magnificent",
  "marvelous", "masked", "melodic", "merciful", "mercurial", "monumental", "mysterious", "nebulous",
  "omniscient", "orderly", "overjoyed", "peaceful", "painted", "persistent", "placid", "polite",
  "popular", "powerful", "puzzled", "rambunctious", "rare", "rebellious", "respected", "resilient",
  "righteous", "receptive", "redolent", "resilient", "rogue", "rumbling", "salty", "sassy",
  "secretive", "selective", "sedate", "serious", "shivering", "skillful", "sincere", "skittish",
  "silent", "smiling", "sneaky", "sophisticated", "spiffy", "stately", "suave", "stylish", "tasteful",
  "thoughtful", "thundering", "traveling", "treasured", "trusting", "unequaled", "upbeat", "unique",
  "unruly", "valuable", "vaunted", "victorious", "welcoming", "whimsical", "wise", "worried",
  "youthful", "zealous",
];

const nouns = [
  "ant", "ape", "asp", "auk", "bass", "bat", "bear", "bee", "bird", "boar", "bug", "calf", "carp",
  "cat", "chimp", "cod", "colt", "conch", "cow", "crab", "crane", "croc", "crow", "cub", "deer",
  "doe", "dog", "dolphin", "donkey", "dove", "duck", "eel", "elk", "fawn", "finch", "fish", "flea",
  "fly", "foal", "fowl", "fox", "frog", "gnat", "gnu", "goat", "goose", "grouse", "grub", "gull",
  "hare", "hawk", "hen", "hog", "horse", "hound", "jay", "kit", "kite", "koi", "lamb", "lark",
  "loon", "lynx", "mare", "midge", "mink", "mole", "moose", "moth", "mouse", "mule", "newt", "owl",
  "ox", "panda", "penguin", "perch", "pig", "pug", "quail", "ram", "rat", "ray", "robin", "roo",
  "rook", "seal", "shad", "shark", "sheep", "shoat", "shrew", "shrike", "shrimp", "skink", "skunk",
  "sloth", "slug", "smelt", "snail", "snake", "snipe", "sow", "sponge", "squid", "squirrel",
  "stag", "steed", "stoat", "stork", "swan", "tern", "toad", "trout", "turtle", "vole", "wasp",
  "whale", "wolf", "worm", "wren", "yak", "zebra",
];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

export function generateRunName(): string {
  return `${pick(adjectives)}-${pick(nouns)}-${Math.floor(Math.random() * 1000)}`;
}
