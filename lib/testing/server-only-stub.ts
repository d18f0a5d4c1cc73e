// Empty stand-in for the `server-only` marker package when lib code runs under Vitest.
export {};
