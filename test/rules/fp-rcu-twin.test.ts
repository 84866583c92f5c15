/**
 * Modelled on net/core/dev.c's rtnl_net_dev_lock() and rtnl_net_dev_unlock():
 * the lock helper reaches the netns through the `_rcu` accessor, the unlock
 * helper through the plain one. The whole-tree run gave a lock-imbalance in
 * every caller of unregister_netdev() and its kin.
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

const NET = `
struct mutex { int x; };
struct net { struct mutex rtnl_mutex; };
struct possible_net { struct net *net; };
struct net_device { struct possible_net nd_net; int reg; };
struct net *read_pnet(const struct possible_net *pnet);
struct net *read_pnet_rcu(const struct possible_net *pnet);

static inline struct net *dev_net(const struct net_device *dev)
{
	return read_pnet(&dev->nd_net);
}

static inline struct net *dev_net_rcu(const struct net_device *dev)
{
	return read_pnet_rcu(&dev->nd_net);
}

static void net_dev_lock(struct net_device *dev)
{
	struct net *net = dev_net_rcu(dev);

	mutex_lock(&net->rtnl_mutex);
}

static void net_dev_unlock(struct net_device *dev)
{
	struct net *net = dev_net(dev);

	mutex_unlock(&net->rtnl_mutex);
}
`;

describe('an accessor and its _rcu twin', () => {
  it('name one lock: the helper pair balances', () => {
    const f = lint(NET + `
int unregister(struct net_device *dev)
{
	if (!dev->reg)
		return -19;
	net_dev_lock(dev);
	dev->reg = 0;
	net_dev_unlock(dev);
	return 0;
}
`, { rule: 'lock-imbalance' });
    expect(f).toEqual([]);
  });

  it('a path that keeps it is still reported', () => {
    const f = lint(NET + `
int unregister(struct net_device *dev)
{
	net_dev_lock(dev);
	if (!dev->reg)
		return -19;
	dev->reg = 0;
	net_dev_unlock(dev);
	return 0;
}
`, { rule: 'lock-imbalance' });
    expect(f.map((x) => x.function)).toEqual(['unregister']);
  });
});
