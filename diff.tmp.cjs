const D=require('better-sqlite3');const d=process.argv[2];
const dbs={}; for (const n of ['a','b','c']) dbs[n]=new D(d+'/'+n+'.db',{readonly:true});
const q='select offset,id,ts,session_id,payload from events order by offset';
const rows={}; for (const n in dbs) rows[n]=dbs[n].prepare(q).all();
for (const n in rows) console.log(n, rows[n].length, JSON.stringify(dbs[n].prepare('select count(*) c from noop_offsets').get()));
let shown=0; const diffs=[];
for (let i=0;i<rows.b.length;i++){ const b=rows.b[i], c=rows.c[i]; if(!c||JSON.stringify(b)!==JSON.stringify(c)){diffs.push(i); if(shown++<6) console.log('b',JSON.stringify(b),'\nc',JSON.stringify(c),'\na',JSON.stringify(rows.a[i]));}}
console.log('diff rows', diffs.length, diffs[0], diffs.at(-1));
