import random, sys
seed=int(sys.argv[1]); n=int(sys.argv[2]); out=sys.argv[3]
r=random.Random(seed)
cats=['app-misc','dev-libs','sys-libs','app-arch']
pk=[(r.choice(cats), 'p%02d'%i) for i in range(n)]
virt=[('virtual','v%d'%i) for i in range(3)]
hdr="""ACCEPT_KEYWORDS: amd64
ARCH: amd64
CHOST: x86_64-pc-linux-gnu
IUSE_IMPLICIT: prefix prefix-guest prefix-stack
PACKAGES: %d
PROFILE: default/linux/amd64/oracle
TIMESTAMP: 1795367652
USE: abi_x86_64 amd64 elibc_glibc kernel_linux
VERSION: 0
"""
ents=[]
def ent(c,p,rdep,pdep):
    e="BUILD_ID: 1\nBUILD_TIME: 1795367401\nCPV: %s/%s-1\nEAPI: 8\nKEYWORDS: amd64\nLICENSE: MIT\nMD5: 0\nPATH: %s/%s/%s-1-1.gpkg.tar\n"%(c,p,c,p,p)
    if pdep: e+="PDEPEND: %s\n"%pdep
    if rdep: e+="RDEPEND: %s\n"%rdep
    e+="SIZE: 1\n\n"
    ents.append(e)
for i,(c,p) in enumerate(pk):
    deps=[]
    for j in range(n):
        if j!=i and r.random() < (0.08 if j<i else float(sys.argv[4])):
            deps.append("%s/%s"%pk[j] + (":=" if r.random()<0.2 else ""))
    if r.random()<0.15:
        a,b=r.sample(range(n),2); deps.append("|| ( %s/%s %s/%s )"%(pk[a]+pk[b]))
    if r.random()<0.1: deps.append("%s/%s"%r.choice(virt))
    pdeps=[]
    if r.random()<0.1: pdeps.append("%s/%s"%r.choice(pk))
    ent(c,p," ".join(deps)," ".join(pdeps))
for c,p in virt:
    ent(c,p,"%s/%s"%r.choice(pk),"")
open(out+"/Packages","w").write(hdr%len(ents)+"\n"+"".join(ents))
print(" ".join("%s/%s"%x for x in r.sample(pk, 6)))
