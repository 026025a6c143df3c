// CRUD on an in-memory item store, bodies validated with zod.
const { Router } = require("express");
const { z } = require("zod");

const Item = z.object({ name: z.string().min(1), quantity: z.number().int().nonnegative().default(0) });
const store = new Map();
const items = Router();

items.get("/", (_req, res) => res.json([...store.values()].sort((a, b) => a.id - b.id)));

items.post("/", (req, res) => {
  const parsed = Item.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json({ error: parsed.error.issues });
    return;
  }
  const id = Math.max(0, ...store.keys()) + 1;
  const item = { id, ...parsed.data };
  store.set(id, item);
  res.status(201).json(item);
});

items.get("/:id", (req, res) => {
  const item = store.get(Number(req.params.id));
  if (!item) {
    res.sendStatus(404);
    return;
  }
  res.json(item);
});

items.delete("/:id", (req, res) => {
  store.delete(Number(req.params.id));
  res.sendStatus(204);
});

module.exports = { items };
