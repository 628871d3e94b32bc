// Renders posts the way `hexo generate` does, without writing a site: one Hexo initialized once,
// a JSON line per post in ({"name", "text"}), a JSON line out ({"front", "content"} or {"error"}).
// The front matter is read by Hexo's own parser (hexo-front-matter, as its post processor does)
// and the content goes through Hexo's post pipeline (hexo.post.render: before_post_render filters,
// Nunjucks escapes, hexo-renderer-marked, Nunjucks, after_post_render filters), then through the
// filters Hexo runs on every generated page ('after_render:html', registered under the name
// '_after_html_render', which hexo/dist/hexo/index.js runs after the layout: external links).
'use strict';

const path = require('path');
const readline = require('readline');
const Hexo = require('hexo');
const { parse } = require('hexo-front-matter');

async function main() {
  const hexo = new Hexo(path.resolve(process.argv[2]), { silent: true });
  await hexo.init();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const { name, text } = JSON.parse(line);
    let answer;
    try {
      const data = parse(text);
      data.content = data._content;
      delete data._content;
      data.source = `_posts/${name}`;
      data.full_source = path.join(hexo.source_dir, data.source);
      const front = { ...data };
      delete front.content;
      await hexo.post.render(data.full_source, data);
      const content = await hexo.execFilter('_after_html_render', data.content, { context: hexo, args: [{}] });
      answer = { front, content };
    } catch (err) {
      answer = { error: String((err && err.stack) || err) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  }
  await hexo.exit();
}

main().catch(err => {
  process.stderr.write(`${(err && err.stack) || err}\n`);
  process.exit(1);
});
