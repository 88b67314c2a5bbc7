// Docs reach the user: every public declaration of the shipped package (dist/index.d.ts and
// dist/tfjs/index.d.ts, as the build writes them) has its doc comment, so that hovering a class,
// a function or an option in an editor shows what it does: every exported class, function, constant and type, each public or
// protected member of an exported class, and each property of an exported interface (the
// options). The list of what is missing is the failure message.
import { resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

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
