"""The OpenStack layer after kolla-ansible: cloud access, the post-deploy baseline and its checks."""
