// Docs reach the user: every public declaration of the shipped package (dist/index.d.ts and
// dist/tfjs/index.d.ts, as the build writes them) has its doc comment, so that hovering a class,
// a function or an option in an editor shows what it does: every exported class, function, constant and type, each public or
// protected member of an exported class, and each property of an exported interface (the
// options). The list of what is missing is the failure message.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { generate } from '../scripts/docs-tables.js'
import { optimizers } from '../src/index.js'

const ENTRIES = ['dist/index.d.ts', 'dist/tfjs/index.d.ts']

function undocumented(file: string): string[] {
  const entry = resolve(file)
  const program = ts.createProgram([entry], { strict: true, skipLibCheck: true })
  const checker = program.getTypeChecker()
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!
  const missing: string[] = []
  const documented = (symbol: ts.Symbol) => symbol.getDocumentationComment(checker).length > 0
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const name = exported.getName()
    if (!documented(symbol)) missing.push(name)
    for (const declaration of symbol.getDeclarations() ?? []) {
      if (!ts.isClassDeclaration(declaration) && !ts.isInterfaceDeclaration(declaration)) continue
      for (const member of declaration.members) {
        if (!member.name || ts.isPrivateIdentifier(member.name)) continue
        const flags = ts.getCombinedModifierFlags(member as ts.Declaration)
        if (flags & ts.ModifierFlags.Private) continue
        const memberSymbol = checker.getSymbolAtLocation(member.name)
        const own = ts.getJSDocCommentsAndTags(member).length > 0
        if (!own && !(memberSymbol && documented(memberSymbol))) missing.push(`${name}.${member.name.getText()}`)
      }
      if (ts.isClassDeclaration(declaration)) {
        for (const ctor of declaration.members.filter(ts.isConstructorDeclaration)) {
          if (
            !(ctor.modifiers ?? []).some((m) => m.kind === ts.SyntaxKind.ProtectedKeyword) &&
            ts.getJSDocCommentsAndTags(ctor).length === 0
          ) {
            missing.push(`${name} constructor`)
          }
        }
      }
    }
  }
  return [...new Set(missing)]
}

describe('the shipped .d.ts', () => {
  it.each(ENTRIES)('%s documents every public declaration', (file) => {
    expect(undocumented(file)).toEqual([])
  })
})

// The README is the entry and the guides live in docs/: it stays small, and every relative link
// of the README and of the guides points at a file that exists.
describe('the README and the guides', () => {
  const pages = ['README.md', ...readdirSync('docs').map((f) => `docs/${f}`)].filter((f) => f.endsWith('.md'))

  it('the README is at most 20 kB', () => {
    expect(statSync('README.md').size).toBeLessThanOrEqual(20_000)
  })

  it.each(pages)('%s links only to files that exist', (page) => {
    const text = readFileSync(page, 'utf8')
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1])
      .filter((t) => !/^[a-z]+:/.test(t))
    expect(targets.filter((t) => !existsSync(join(dirname(page), t)))).toEqual([])
  })
})

// The tables of options and defaults are derived from each optimizer's options table
// (src/options.ts): docs/options.md, the defaults column of docs/algorithms.md's rule tables, and
// the README's copy of those tables. A change to a table, a doc comment or a rule row that was not
// followed by `npm run docs` fails here.
describe('the generated tables', () => {
  const generated = generate()
  it.each(Object.keys(generated))('%s is what npm run docs makes', (path) => {
    expect(readFileSync(path, 'utf8'), `${path} drifted from the option tables: run npm run docs`).toBe(generated[path])
  })

  it('every optimizer has its rule row in both tables and its option table on docs/options.md', () => {
    for (const name of Object.keys(optimizers)) {
      expect(generated['docs/options.md'], `docs/options.md: no section for ${name}`).toContain(`## ${name}\n`)
    }
  })
})
