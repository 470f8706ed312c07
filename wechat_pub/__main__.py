from wechat_pub.cli import main

main()
