// `node --import <this file> out/main/index.js …`: runs the built Electron
// main entry under Node with a stand-in for the 'electron' module (the one
// part that cannot run on these machines; see hooks.mjs).
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
