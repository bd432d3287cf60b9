import json,sys,glob,collections,os
f=max(glob.glob('/work/wt/inputs/.prof/cpu/*.cpuprofile'), key=lambda x: os.path.getsize(x))
d=json.load(open(f))
nodes={n['id']:n for n in d['nodes']}
self=collections.Counter()
dt=d['timeDeltas']; samples=d['samples']
for s,t in zip(samples,dt):
    n=nodes[s]; cf=n['callFrame']
    self[(cf['functionName'],cf['url'].split('/')[-1],cf['lineNumber'])]+=t
tot=sum(self.values())
for k,v in self.most_common(25): print(f"{v/1000:8.0f} ms {100*v/tot:5.1f}% {k}")
