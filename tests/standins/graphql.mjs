// A small GraphQL reader for the Shopify stand-in: enough of the language (June 2018 spec) to
// read any spelling of the operations lastunit uses, inline literals or `variables` alike:
// operations, aliases, arguments, variables with defaults, directives, fragments and inline
// fragments, every literal kind. It checks each selection against a schema (a plain object
// `{ TypeName: { field: { type, args } } }`) before anything runs, so a request with an unknown
// field or argument changes nothing, as a real GraphQL server validates before it executes.

export class GraphQLError extends Error {
  constructor(message, extensions = {}, locations) {
    super(message);
    this.extensions = extensions;
    this.locations = locations;
  }
  toJSON() {
    const out = { message: this.message };
    if (this.locations) out.locations = this.locations;
    if (Object.keys(this.extensions).length) out.extensions = this.extensions;
    return out;
  }
}

const PUNCT = new Set(['!', '$', '(', ')', ':', '=', '@', '[', ']', '{', '}', '|', '&']);

function lex(src) {
  const tokens = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = () => ({ line, column: i - lineStart + 1 });
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      i += 1;
      line += 1;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === '\ufeff') {
      i += 1;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i += 1;
    } else if (src.startsWith('...', i)) {
      tokens.push({ kind: '...', loc: loc() });
      i += 3;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: c, loc: loc() });
      i += 1;
    } else if (/[_A-Za-z]/.test(c)) {
      const start = i;
      while (i < src.length && /[_0-9A-Za-z]/.test(src[i])) i += 1;
      tokens.push({ kind: 'name', value: src.slice(start, i), loc: loc() });
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
      if (!m) throw new GraphQLError(`Parse error on "${c}"`, { code: 'parseError' }, [loc()]);
      tokens.push({ kind: m[2] || m[3] ? 'float' : 'int', value: m[0], loc: loc() });
      i += m[0].length;
    } else if (src.startsWith('"""', i)) {
      const end = src.indexOf('"""', i + 3);
      if (end < 0) throw new GraphQLError('Unterminated string', { code: 'parseError' }, [loc()]);
      tokens.push({ kind: 'string', value: src.slice(i + 3, end).trim(), loc: loc() });
      for (let j = i; j < end; j += 1) if (src[j] === '\n') line += 1;
      i = end + 3;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\n') throw new GraphQLError('Unterminated string', { code: 'parseError' }, [loc()]);
        if (src[j] === '\\') {
          const e = src[j + 1];
          const map = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e === 'u') {
            value += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
          } else {
            value += map[e] ?? e;
            j += 2;
          }
        } else {
          value += src[j];
          j += 1;
        }
      }
      if (j >= src.length) throw new GraphQLError('Unterminated string', { code: 'parseError' }, [loc()]);
      tokens.push({ kind: 'string', value, loc: loc() });
      i = j + 1;
    } else {
      throw new GraphQLError(`Parse error on "${c}"`, { code: 'parseError' }, [loc()]);
    }
  }
  tokens.push({ kind: 'eof', loc: loc() });
  return tokens;
}

/** Parses a document into `{ operations: [...], fragments: {name: def} }`. */
export function parse(src) {
  const t = lex(String(src));
  let p = 0;
  const peek = (kind, value) => t[p].kind === kind && (value === undefined || t[p].value === value);
  const fail = (what) => {
    const tok = t[p];
    const seen = tok.kind === 'eof' ? 'end of file' : tok.value ?? tok.kind;
    throw new GraphQLError(`Parse error on "${seen}" (expected ${what})`, { code: 'parseError' }, [tok.loc]);
  };
  const expect = (kind, value) => {
    if (!peek(kind, value)) fail(value ?? kind);
    return t[p++];
  };
  const name = () => expect('name').value;

  function value(isConst) {
    const tok = t[p];
    if (tok.kind === '$' && !isConst) {
      p += 1;
      return { kind: 'var', name: name() };
    }
    if (tok.kind === 'int') return (p++, { kind: 'int', value: Number(tok.value) });
    if (tok.kind === 'float') return (p++, { kind: 'float', value: Number(tok.value) });
    if (tok.kind === 'string') return (p++, { kind: 'string', value: tok.value });
    if (tok.kind === 'name') {
      p += 1;
      if (tok.value === 'true' || tok.value === 'false') return { kind: 'boolean', value: tok.value === 'true' };
      if (tok.value === 'null') return { kind: 'null' };
      return { kind: 'enum', value: tok.value };
    }
    if (tok.kind === '[') {
      p += 1;
      const items = [];
      while (!peek(']')) items.push(value(isConst));
      p += 1;
      return { kind: 'list', items };
    }
    if (tok.kind === '{') {
      p += 1;
      const fields = [];
      while (!peek('}')) {
        const n = name();
        expect(':');
        fields.push({ name: n, value: value(isConst) });
      }
      p += 1;
      return { kind: 'object', fields };
    }
    return fail('a value');
  }
  function args() {
    const out = [];
    if (!peek('(')) return out;
    p += 1;
    while (!peek(')')) {
      const n = name();
      expect(':');
      out.push({ name: n, value: value(false) });
    }
    p += 1;
    return out;
  }
  function directives() {
    const out = [];
    while (peek('@')) {
      p += 1;
      out.push({ name: name(), args: args() });
    }
    return out;
  }
  function type() {
    let s;
    if (peek('[')) {
      p += 1;
      s = `[${type()}]`;
      expect(']');
    } else s = name();
    if (peek('!')) {
      p += 1;
      s += '!';
    }
    return s;
  }
  function selectionSet() {
    expect('{');
    const out = [];
    while (!peek('}')) {
      if (peek('...')) {
        p += 1;
        if (peek('name', 'on') || peek('{') || peek('@')) {
          let on = null;
          if (peek('name', 'on')) {
            p += 1;
            on = name();
          }
          out.push({ kind: 'inline', on, directives: directives(), selections: selectionSet() });
        } else {
          out.push({ kind: 'spread', name: name(), directives: directives() });
        }
        continue;
      }
      const loc = t[p].loc;
      let alias = null;
      let n = name();
      if (peek(':')) {
        p += 1;
        alias = n;
        n = name();
      }
      const a = args();
      const d = directives();
      const sel = peek('{') ? selectionSet() : null;
      out.push({ kind: 'field', alias, name: n, args: a, directives: d, selections: sel, loc });
    }
    p += 1;
    return out;
  }

  const operations = [];
  const fragments = {};
  while (!peek('eof')) {
    if (peek('{')) {
      operations.push({ type: 'query', name: null, variables: [], directives: [], selections: selectionSet() });
    } else if (peek('name', 'query') || peek('name', 'mutation') || peek('name', 'subscription')) {
      const opType = name();
      const opName = peek('name') ? name() : null;
      const variables = [];
      if (peek('(')) {
        p += 1;
        while (!peek(')')) {
          expect('$');
          const v = { name: name() };
          expect(':');
          v.type = type();
          if (peek('=')) {
            p += 1;
            v.default = value(true);
          }
          variables.push(v);
        }
        p += 1;
      }
      operations.push({ type: opType, name: opName, variables, directives: directives(), selections: selectionSet() });
    } else if (peek('name', 'fragment')) {
      p += 1;
      const fname = name();
      expect('name', 'on');
      const on = name();
      fragments[fname] = { on, directives: directives(), selections: selectionSet() };
    } else {
      fail('an operation');
    }
  }
  if (!operations.length) throw new GraphQLError('No operations in the document', { code: 'parseError' });
  return { operations, fragments };
}

/** The JS value of a literal, with variables substituted (`undefined` when a variable is absent). */
export function valueOf(node, variables) {
  switch (node.kind) {
    case 'var':
      return variables[node.name];
    case 'int':
    case 'float':
    case 'string':
    case 'boolean':
    case 'enum':
      return node.value;
    case 'null':
      return null;
    case 'list':
      return node.items.map((n) => valueOf(n, variables));
    case 'object': {
      const out = {};
      for (const f of node.fields) {
        const v = valueOf(f.value, variables);
        if (v !== undefined) out[f.name] = v;
      }
      return out;
    }
    default:
      throw new GraphQLError(`unknown literal ${node.kind}`);
  }
}

/** The arguments of a field or directive as a plain object (absent variables left out). */
export function argsOf(list, variables) {
  const out = {};
  for (const a of list) {
    const v = valueOf(a.value, variables);
    if (v !== undefined) out[a.name] = v;
  }
  return out;
}

/** Picks the operation to run (by `operationName` when the document holds several). */
export function pickOperation(doc, operationName) {
  if (operationName) {
    const op = doc.operations.find((o) => o.name === operationName);
    if (!op) throw new GraphQLError(`No operation named "${operationName}"`, { code: 'operationNotFound' });
    return op;
  }
  if (doc.operations.length > 1) {
    throw new GraphQLError('An operation name is required when the document holds several', {
      code: 'operationNameRequired',
    });
  }
  return doc.operations[0];
}

/** The variables in force: given values, else declared defaults. */
export function variablesFor(op, given) {
  const out = { ...(given || {}) };
  for (const v of op.variables) {
    if (out[v.name] === undefined && v.default) out[v.name] = valueOf(v.default, {});
    if (out[v.name] === undefined && v.type.endsWith('!')) {
      throw new GraphQLError(`Variable $${v.name} of type ${v.type} was provided invalid value`, {
        code: 'INVALID_VARIABLE',
        value: null,
        problems: [{ path: [], explanation: 'Expected value to not be null' }],
      });
    }
  }
  return out;
}

/** A selection set with fragments spread and `@skip`/`@include` applied: fields only. */
export function flatten(selections, doc, variables) {
  const out = [];
  for (const s of selections) {
    const skip = (s.directives || []).some((d) => {
      const a = argsOf(d.args, variables);
      return (d.name === 'skip' && a.if === true) || (d.name === 'include' && a.if === false);
    });
    if (skip) continue;
    if (s.kind === 'field') out.push(s);
    else if (s.kind === 'inline') out.push(...flatten(s.selections, doc, variables));
    else {
      const f = doc.fragments[s.name];
      if (!f) throw new GraphQLError(`Fragment ${s.name} was used, but not defined`, { code: 'useAndDefineFragment' });
      out.push(...flatten(f.selections, doc, variables));
    }
  }
  return out;
}

const SCALARS = new Set(['ID', 'String', 'Int', 'Float', 'Boolean', 'DateTime', 'URL', 'UnsignedInt64', 'ENUM']);
const baseType = (t) => t.replace(/[[\]!]/g, '');

/**
 * Checks a selection set against `schema` under `typeName` (unknown field, unknown argument,
 * an object without a selection, a scalar with one) and returns its requested cost, counted as
 * Shopify documents it (docs: shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits,
 * "Cost calculation"): an object is 1, a scalar or enum 0, a connection 2 plus its `first`
 * times the cost of one node, a mutation 10. `checkArgs(typeName, field, args)` lets the caller
 * refuse argument values before anything runs.
 */
export function validate(schema, typeName, selections, ctx) {
  let cost = 0;
  for (const f of flatten(selections, ctx.doc, ctx.variables)) {
    if (f.name === '__typename') continue;
    const def = schema[typeName]?.[f.name];
    if (!def) {
      throw new GraphQLError(`Field '${f.name}' doesn't exist on type '${typeName}'`, {
        code: 'undefinedField',
        typeName,
        fieldName: f.name,
      }, [f.loc]);
    }
    for (const a of f.args) {
      if (!(def.args || []).includes(a.name)) {
        throw new GraphQLError(`Field '${f.name}' doesn't accept argument '${a.name}'`, {
          code: 'argumentNotAccepted',
          name: f.name,
          typeName: 'Field',
          argumentName: a.name,
        }, [f.loc]);
      }
    }
    const args = argsOf(f.args, ctx.variables);
    if (ctx.checkArgs) ctx.checkArgs(typeName, f.name, args, f);
    const base = baseType(def.type);
    if (SCALARS.has(base)) {
      if (f.selections) {
        throw new GraphQLError(`Selections can't be made on scalars (field '${f.name}' returns ${base})`, {
          code: 'selectionMismatch',
        }, [f.loc]);
      }
      continue;
    }
    if (!f.selections) {
      throw new GraphQLError(`Field must have selections (field '${f.name}' returns ${base} but has no selections)`, {
        code: 'selectionMismatch',
      }, [f.loc]);
    }
    const inner = validate(schema, base, f.selections, ctx);
    if (base.endsWith('Connection')) cost += 2 + (Number(args.first ?? args.last) || 0) * inner;
    else cost += (typeName === ctx.mutationType ? 10 : 1) + inner;
  }
  return cost;
}

/**
 * Runs a validated selection set over plain objects: a field is a value or a function of its
 * arguments. Returns `{ data, cost }` where cost is the actual cost (connections count the
 * nodes they returned).
 */
export async function execute(schema, typeName, selections, source, ctx) {
  const data = {};
  let cost = 0;
  for (const f of flatten(selections, ctx.doc, ctx.variables)) {
    const key = f.alias || f.name;
    if (f.name === '__typename') {
      data[key] = typeName;
      continue;
    }
    const def = schema[typeName][f.name];
    let v = source[f.name];
    if (typeof v === 'function') v = await v.call(source, argsOf(f.args, ctx.variables), ctx);
    const base = baseType(def.type);
    if (SCALARS.has(base) || v === null || v === undefined) {
      data[key] = v ?? null;
      continue;
    }
    if (Array.isArray(v)) {
      const items = [];
      for (const item of v) {
        const r = await execute(schema, base, f.selections, item, ctx);
        items.push(r.data);
        cost += 1 + r.cost;
      }
      data[key] = items;
    } else {
      const r = await execute(schema, base, f.selections, v, ctx);
      data[key] = r.data;
      cost += base.endsWith('Connection') ? 2 + r.cost : (typeName === ctx.mutationType ? 10 : 1) + r.cost;
    }
  }
  return { data, cost };
}
