// Bench sample: a small Express inventory API in plain JavaScript (see bench/build.py).
const cors = require("cors");
const express = require("express");
const helmet = require("helmet");
const morgan = require("morgan");

const { items } = require("./items");

const app = express();
const port = Number(process.env.PORT || 3000);

app.use(helmet());
app.use(cors());
app.use(morgan("tiny"));
app.use(express.json());
app.use("/items", items);

app.get("/", (_req, res) => res.json({ app: "bench-node-express" }));
app.get("/health", (_req, res) => res.json({ status: "ok", uid: process.getuid() }));

const server = app.listen(port, "0.0.0.0", () => console.log(`listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
