/* global process, console */  // Node globals: the ESLint config is the extension's (browser) one
// Express + Passport as passport-http's and passport-http-bearer's READMEs show them: a Basic
// strategy over user names and passwords, a Bearer strategy over API tokens, no sessions.
//
//     node tests/stacks/express_passport_app.mjs PORT
import express from "express";
import passport from "passport";
import { BasicStrategy } from "passport-http";
import { Strategy as BearerStrategy } from "passport-http-bearer";

const { STACK_USER, STACK_PASSWORD, STACK_TOKEN, STACK_EXPIRED_TOKEN } = process.env;
const users = { [STACK_USER]: { username: STACK_USER, password: STACK_PASSWORD, token: STACK_TOKEN } };

passport.use(
  new BasicStrategy((username, password, done) => {
    const user = users[username];
    if (!user || user.password !== password) return done(null, false);
    return done(null, user);
  }),
);

passport.use(
  new BearerStrategy((token, done) => {
    // An expired token is refused with a message, as Passport's verify callbacks may give.
    if (token === STACK_EXPIRED_TOKEN) return done(null, false, { message: "The access token expired" });
    const user = Object.values(users).find((u) => u.token === token);
    if (!user) return done(null, false);
    return done(null, user, { scope: "all" });
  }),
);

const app = express();
app.use(passport.initialize());
const me = (req, res) => res.json({ user: req.user.username });
app.get("/basic/me", passport.authenticate("basic", { session: false }), me);
app.get("/bearer/me", passport.authenticate("bearer", { session: false }), me);

const port = Number(process.argv[2] ?? process.env.PORT);
app.listen(port, "127.0.0.1", () => console.log(`passport app on http://127.0.0.1:${port}`));
