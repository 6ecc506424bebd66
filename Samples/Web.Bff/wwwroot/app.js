// Every API call carries X-CSRF: the BFF refuses cookie-authenticated calls without it.
const api = (path, options = {}) =>
  fetch(path, { ...options, credentials: 'same-origin', headers: { 'X-CSRF': '1', 'Content-Type': 'application/json', ...(options.headers || {}) } });

const show = (id, text) => { document.getElementById(id).textContent = text; };

async function main() {
  const me = await api('/bff/user');
  if (me.status !== 200) { return; }
  const user = await me.json();
  document.getElementById('who').innerHTML = '';
  const name = document.createElement('span');
  name.id = 'username';
  name.textContent = 'Signed in as ' + user.name + ' ';
  const out = document.createElement('button');
  out.textContent = 'Log out';
  out.onclick = async () => {
    const r = await api('/bff/logout', { method: 'POST', redirect: 'manual' });
    location.href = '/';
  };
  document.getElementById('who').append(name, out);
  document.getElementById('shop').hidden = false;
  await loadCatalog();
}

async function loadCatalog() {
  const r = await api('/api/catalog');
  if (!r.ok) { show('error', 'Catalog unavailable (' + r.status + ')'); return; }
  const catalog = await r.json();
  show('banner', catalog.banner);
  show('servedBy', 'served by ' + catalog.servedBy);
  const body = document.querySelector('#products tbody');
  body.innerHTML = '';
  for (const p of catalog.items) {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td><td></td><td><button>Order</button></td>';
    tr.children[0].textContent = p.name;
    tr.children[1].textContent = p.category;
    tr.children[2].textContent = p.price.toFixed(2);
    tr.querySelector('button').dataset.productId = p.id;
    tr.querySelector('button').onclick = () => placeOrder(p.id);
    body.append(tr);
  }
}

async function placeOrder(productId) {
  const r = await api('/api/orders', { method: 'POST', body: JSON.stringify({ items: [{ productId, quantity: 1 }] }) });
  if (r.status !== 201) { show('error', 'Order failed (' + r.status + ')'); return; }
  const order = await r.json();
  const page = await api('/api/order-page/' + order.id);
  const composed = await page.json();
  document.getElementById('order').hidden = false;
  show('orderPage', JSON.stringify(composed, null, 2));
}

main().catch(e => show('error', String(e)));
