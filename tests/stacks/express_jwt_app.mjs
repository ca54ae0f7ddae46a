/* global process, console */  // Node globals: the ESLint config is the extension's (browser) one
// Express + express-jwt as its README shows it: HS256, a revocation check, and no error
// handler of the app's own, so Express's default one answers the library's UnauthorizedError.
//
//     node tests/stacks/express_jwt_app.mjs PORT
import express from "express";
import { expressjwt } from "express-jwt";

const { STACK_JWT_SECRET, STACK_REVOKED_JTI } = process.env;
const app = express();

app.get(
  "/api/me",
  expressjwt({
    secret: STACK_JWT_SECRET,
    algorithms: ["HS256"],
    isRevoked: async (req, token) => token.payload.jti === STACK_REVOKED_JTI,
  }),
  (req, res) => res.json({ user: req.auth.sub }),
);

const port = Number(process.argv[2] ?? process.env.PORT);
app.listen(port, "127.0.0.1", () => console.log(`express-jwt app on http://127.0.0.1:${port}`));
